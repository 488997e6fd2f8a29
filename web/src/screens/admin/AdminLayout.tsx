import { Navigate, Outlet } from 'react-router';
import { SectionNav } from '../../components/SectionNav.tsx';

/** The security administrator's area: people and roles, care teams, coverage windows. */
export function AdminLayout() {
  return (
    <>
      <SectionNav
        label="Admin"
        links={[
          { to: '/admin/people', label: 'People' },
          { to: '/admin/care-teams', label: 'Care teams' },
          { to: '/admin/coverage', label: 'Coverage' },
        ]}
      />
      <Outlet />
    </>
  );
}

export function AdminIndex() {
  return <Navigate to="/admin/people" replace />;
}
