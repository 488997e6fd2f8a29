import { Navigate, Outlet } from 'react-router';
import { SectionNav, type SectionLink } from '../../components/SectionNav.tsx';
import { useSession } from '../../session/session.tsx';

/** The privacy officer's area: audit search, access reports, break-glass reviews, verification. */
export function PrivacyLayout() {
  const links = usePrivacyLinks();
  return (
    <>
      <SectionNav label="Privacy" links={links} />
      <Outlet />
    </>
  );
}

function usePrivacyLinks(): SectionLink[] {
  const { may } = useSession();
  const links: SectionLink[] = [];
  if (may('break-glass.review')) links.push({ to: '/privacy/break-glass', label: 'Break-glass reviews' });
  if (may('audit.read')) links.push({ to: '/privacy/audit', label: 'Audit trail' }, { to: '/privacy/access-report', label: 'Access report' });
  if (may('audit.read') || may('audit.verify')) links.push({ to: '/privacy/verification', label: 'Verification' });
  return links;
}

export function PrivacyIndex() {
  const links = usePrivacyLinks();
  return <Navigate to={links[0]?.to ?? '/me'} replace />;
}
