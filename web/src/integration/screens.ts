// The integration operator's screens and the identity review screens, loaded together on first use (routes.tsx).
export { IdentityHistory } from '../identity/IdentityHistory.tsx';
export { PossibleMatchDetail } from '../identity/PossibleMatchDetail.tsx';
export { PossibleMatches } from '../identity/PossibleMatches.tsx';
export { FeedsDashboard } from './FeedsDashboard.tsx';
export { IntegrationIndex, IntegrationLayout } from './IntegrationLayout.tsx';
export { MessageBrowser } from './MessageBrowser.tsx';
export { MessageDetailRoute } from './MessageDetail.tsx';
export { Sources } from './Sources.tsx';
