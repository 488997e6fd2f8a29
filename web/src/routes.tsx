import type { ReactNode } from 'react';
import { createHashRouter, Link, Navigate, useRouteError } from 'react-router';
import { StartPage } from './App.tsx';
import { RequirePermission, RequireSignIn } from './components/Guards.tsx';
import { Page } from './components/Page.tsx';
import { Shell } from './components/Shell.tsx';
import { IdentityHistory } from './identity/IdentityHistory.tsx';
import { PossibleMatchDetail } from './identity/PossibleMatchDetail.tsx';
import { PossibleMatches } from './identity/PossibleMatches.tsx';
import { FeedsDashboard } from './integration/FeedsDashboard.tsx';
import { IntegrationIndex, IntegrationLayout } from './integration/IntegrationLayout.tsx';
import { MessageBrowser } from './integration/MessageBrowser.tsx';
import { MessageDetailRoute } from './integration/MessageDetail.tsx';
import { Sources } from './integration/Sources.tsx';
import { AdminIndex, AdminLayout } from './screens/admin/AdminLayout.tsx';
import { CareTeams } from './screens/admin/CareTeams.tsx';
import { Coverage } from './screens/admin/Coverage.tsx';
import { People } from './screens/admin/People.tsx';
import { PersonDetail } from './screens/admin/PersonDetail.tsx';
import { PersonNew } from './screens/admin/PersonNew.tsx';
import { PatientPage } from './screens/patients/PatientPage.tsx';
import { PatientSearch } from './screens/patients/PatientSearch.tsx';
import { AccessReport } from './screens/privacy/AccessReport.tsx';
import { AuditEventDetail } from './screens/privacy/AuditEventDetail.tsx';
import { AuditSearch } from './screens/privacy/AuditSearch.tsx';
import { BreakGlassReviews } from './screens/privacy/BreakGlassReviews.tsx';
import { PrivacyIndex, PrivacyLayout } from './screens/privacy/PrivacyLayout.tsx';
import { Verification } from './screens/privacy/Verification.tsx';
import { SignInScreen } from './screens/SignIn.tsx';
import { AccountDesk } from './screens/support/AccountDesk.tsx';
import { FindAccount } from './screens/support/FindAccount.tsx';
import { WhoAmI } from './screens/WhoAmI.tsx';
import { homeFor, useSession } from './session/session.tsx';

/**
 * Screens and their addresses. The server serves the app only at `/` (src/api/routes/web.ts), so the screens live in
 * the hash (`/#/patients/…`): a reload or a shared link always reaches index.html and opens the same screen.
 */
function signedIn(element: ReactNode, actions?: string[], what?: string) {
  return <RequireSignIn>{actions ? <RequirePermission actions={actions} what={what ?? 'this screen'}>{element}</RequirePermission> : element}</RequireSignIn>;
}

function Home({ pollMs }: { pollMs: number }) {
  const { state, may } = useSession();
  if (state.phase === 'signed-in') return <Navigate to={homeFor(may)} replace />;
  return <StartPage pollMs={pollMs} />;
}

function NotFound() {
  return (
    <Page title="No such screen">
      <p>
        This address does not lead to a screen in Vigil. <Link to="/">Go to the start</Link>.
      </p>
    </Page>
  );
}

function RouteError() {
  const error = useRouteError();
  return (
    <main className="page">
      <div className="notice notice--error" role="alert">
        <p className="notice__title">This screen failed</p>
        <p>Something went wrong in the page itself{error instanceof Error ? ` (${error.name})` : ''}. Reload to try again; if it keeps happening, tell an operator.</p>
        <p>
          <a href="/">Back to the start</a>
        </p>
      </div>
    </main>
  );
}

export function createRouter(pollMs: number) {
  return createHashRouter([
    {
      path: '/',
      element: <Shell />,
      errorElement: <RouteError />,
      children: [
        { index: true, element: <Home pollMs={pollMs} /> },
        { path: 'system', element: <StartPage pollMs={pollMs} /> },
        { path: 'sign-in', element: <SignInScreen /> },
        { path: 'me', element: signedIn(<WhoAmI />) },
        { path: 'patients', element: signedIn(<PatientSearch />, ['patient.search'], 'searching for patients') },
        { path: 'patients/:id', element: signedIn(<PatientPage />, ['patient.read'], 'opening patient records') },
        {
          path: 'privacy',
          element: signedIn(<PrivacyLayout />, ['audit.read', 'break-glass.review', 'audit.verify'], 'privacy and audit work'),
          children: [
            { index: true, element: <PrivacyIndex /> },
            { path: 'audit', element: <RequirePermission actions={['audit.read']} what="searching the audit trail"><AuditSearch /></RequirePermission> },
            { path: 'audit/:id', element: <RequirePermission actions={['audit.read']} what="reading audit events"><AuditEventDetail /></RequirePermission> },
            { path: 'access-report', element: <RequirePermission actions={['audit.read']} what="access reports"><AccessReport /></RequirePermission> },
            { path: 'break-glass', element: <RequirePermission actions={['break-glass.review']} what="reviewing emergency access"><BreakGlassReviews /></RequirePermission> },
            { path: 'verification', element: <Verification /> },
          ],
        },
        {
          path: 'admin',
          element: signedIn(<AdminLayout />, ['directory.read'], 'directory administration'),
          children: [
            { index: true, element: <AdminIndex /> },
            { path: 'people', element: <People /> },
            { path: 'people/new', element: <RequirePermission actions={['directory.write']} what="adding people"><PersonNew /></RequirePermission> },
            { path: 'people/:id', element: <PersonDetail /> },
            { path: 'care-teams', element: <CareTeams /> },
            { path: 'coverage', element: <Coverage /> },
          ],
        },
        {
          path: 'integration',
          element: signedIn(<IntegrationLayout />, ['feed.read', 'message.read', 'source.manage', 'identity.review'], 'integration work (feeds, messages, sources, possible matches)'),
          children: [
            { index: true, element: <IntegrationIndex /> },
            { path: 'feeds', element: <RequirePermission actions={['feed.read']} what="watching feeds"><FeedsDashboard /></RequirePermission> },
            { path: 'messages', element: <RequirePermission actions={['message.read']} what="looking at inbound messages"><MessageBrowser /></RequirePermission> },
            { path: 'messages/:id', element: <RequirePermission actions={['message.read']} what="looking at inbound messages"><MessageDetailRoute /></RequirePermission> },
            { path: 'sources', element: <RequirePermission actions={['feed.read', 'source.manage']} what="managing sources"><Sources /></RequirePermission> },
            { path: 'possible-matches', element: <RequirePermission actions={['identity.review']} what="reviewing possible matches"><PossibleMatches /></RequirePermission> },
            { path: 'possible-matches/:id', element: <RequirePermission actions={['identity.review']} what="reviewing possible matches"><PossibleMatchDetail /></RequirePermission> },
            { path: 'identity/patients/:id', element: <RequirePermission actions={['identity.review']} what="correcting patient identity"><IdentityHistory /></RequirePermission> },
          ],
        },
        { path: 'support', element: signedIn(<FindAccount />, ['account.read'], 'the support desk (accounts and sessions)') },
        { path: 'support/accounts/:personId', element: signedIn(<AccountDesk />, ['account.read'], 'the support desk (accounts and sessions)') },
        { path: '*', element: <NotFound /> },
      ],
    },
  ]);
}
