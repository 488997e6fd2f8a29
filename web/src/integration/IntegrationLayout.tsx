import { Navigate, Outlet } from 'react-router';
import { SectionNav, type SectionLink } from '../components/SectionNav.tsx';
import { useSession } from '../session/session.tsx';
import './integration.css';

/** The integration operator's area: feeds, messages, sources. */
export function IntegrationLayout() {
  return (
    <>
      <SectionNav label="Integration" links={useIntegrationLinks()} />
      <Outlet />
    </>
  );
}

function useIntegrationLinks(): SectionLink[] {
  const { may } = useSession();
  const links: SectionLink[] = [];
  if (may('feed.read')) links.push({ to: '/integration/feeds', label: 'Feeds' });
  if (may('message.read')) links.push({ to: '/integration/messages', label: 'Messages' });
  if (may('feed.read') || may('source.manage')) links.push({ to: '/integration/sources', label: 'Sources' });
  if (may('identity.review')) links.push({ to: '/integration/possible-matches', label: 'Possible matches' });
  return links;
}

export function IntegrationIndex() {
  const links = useIntegrationLinks();
  return <Navigate to={links[0]?.to ?? '/me'} replace />;
}
