// The privacy officer's screens, loaded together on first use (routes.tsx).
export { AccessReport } from './AccessReport.tsx';
export { AuditEventDetail } from './AuditEventDetail.tsx';
export { AuditSearch } from './AuditSearch.tsx';
export { BreakGlassReviews } from './BreakGlassReviews.tsx';
export { PrivacyIndex, PrivacyLayout } from './PrivacyLayout.tsx';
export { Verification } from './Verification.tsx';
