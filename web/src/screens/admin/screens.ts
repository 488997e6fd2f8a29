// The directory administration screens, loaded together on first use (routes.tsx).
export { AdminIndex, AdminLayout } from './AdminLayout.tsx';
export { CareTeams } from './CareTeams.tsx';
export { Coverage } from './Coverage.tsx';
export { People } from './People.tsx';
export { PersonDetail } from './PersonDetail.tsx';
export { PersonNew } from './PersonNew.tsx';
