import { lazy, type ComponentType, type LazyExoticComponent, type ReactNode } from 'react';
import { createHashRouter, Link, Navigate, useRouteError } from 'react-router';
import { StartPage } from './App.tsx';
import { RequirePermission, RequireSignIn } from './components/Guards.tsx';
import { Page } from './components/Page.tsx';
import { Shell } from './components/Shell.tsx';
import { PatientPage } from './screens/patients/PatientPage.tsx';
import { PatientSearch } from './screens/patients/PatientSearch.tsx';
import { SignInScreen } from './screens/SignIn.tsx';
import { WhoAmI } from './screens/WhoAmI.tsx';
import { homeFor, useSession } from './session/session.tsx';

/**
 * Screens loaded when first opened. Clinicians' screens (patients, the chart) come with the app; the integration,
 * identity, privacy, directory and support screens, used by few, load on first use (Shell shows a line meanwhile),
 * which keeps the first load of the app small. Each group is one module, so one request.
 */
function loadedOnFirstUse<K extends string>(load: () => Promise<Record<K, ComponentType>>, names: readonly K[]): Record<K, LazyExoticComponent<ComponentType>> {
  return Object.fromEntries(names.map((name) => [name, lazy(async () => ({ default: (await load())[name] }))])) as Record<K, LazyExoticComponent<ComponentType>>;
}

const Integration = loadedOnFirstUse(() => import('./integration/screens.ts'), ['IntegrationLayout', 'IntegrationIndex', 'FeedsDashboard', 'MessageBrowser', 'MessageDetailRoute', 'Sources', 'PossibleMatches', 'PossibleMatchDetail', 'IdentityHistory']);
const Privacy = loadedOnFirstUse(() => import('./screens/privacy/screens.ts'), ['PrivacyLayout', 'PrivacyIndex', 'AuditSearch', 'AuditEventDetail', 'AccessReport', 'BreakGlassReviews', 'Verification']);
const Admin = loadedOnFirstUse(() => import('./screens/admin/screens.ts'), ['AdminLayout', 'AdminIndex', 'People', 'PersonNew', 'PersonDetail', 'CareTeams', 'Coverage']);
const Support = loadedOnFirstUse(() => import('./screens/support/screens.ts'), ['FindAccount', 'AccountDesk']);

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
          element: signedIn(<Privacy.PrivacyLayout />, ['audit.read', 'break-glass.review', 'audit.verify'], 'privacy and audit work'),
          children: [
            { index: true, element: <Privacy.PrivacyIndex /> },
            { path: 'audit', element: <RequirePermission actions={['audit.read']} what="searching the audit trail"><Privacy.AuditSearch /></RequirePermission> },
            { path: 'audit/:id', element: <RequirePermission actions={['audit.read']} what="reading audit events"><Privacy.AuditEventDetail /></RequirePermission> },
            { path: 'access-report', element: <RequirePermission actions={['audit.read']} what="access reports"><Privacy.AccessReport /></RequirePermission> },
            { path: 'break-glass', element: <RequirePermission actions={['break-glass.review']} what="reviewing emergency access"><Privacy.BreakGlassReviews /></RequirePermission> },
            { path: 'verification', element: <Privacy.Verification /> },
          ],
        },
        {
          path: 'admin',
          element: signedIn(<Admin.AdminLayout />, ['directory.read'], 'directory administration'),
          children: [
            { index: true, element: <Admin.AdminIndex /> },
            { path: 'people', element: <Admin.People /> },
            { path: 'people/new', element: <RequirePermission actions={['directory.write']} what="adding people"><Admin.PersonNew /></RequirePermission> },
            { path: 'people/:id', element: <Admin.PersonDetail /> },
            { path: 'care-teams', element: <Admin.CareTeams /> },
            { path: 'coverage', element: <Admin.Coverage /> },
          ],
        },
        {
          path: 'integration',
          element: signedIn(<Integration.IntegrationLayout />, ['feed.read', 'message.read', 'source.manage', 'identity.review'], 'integration work (feeds, messages, sources, possible matches)'),
          children: [
            { index: true, element: <Integration.IntegrationIndex /> },
            { path: 'feeds', element: <RequirePermission actions={['feed.read']} what="watching feeds"><Integration.FeedsDashboard /></RequirePermission> },
            { path: 'messages', element: <RequirePermission actions={['message.read']} what="looking at inbound messages"><Integration.MessageBrowser /></RequirePermission> },
            { path: 'messages/:id', element: <RequirePermission actions={['message.read']} what="looking at inbound messages"><Integration.MessageDetailRoute /></RequirePermission> },
            { path: 'sources', element: <RequirePermission actions={['feed.read', 'source.manage']} what="managing sources"><Integration.Sources /></RequirePermission> },
            { path: 'possible-matches', element: <RequirePermission actions={['identity.review']} what="reviewing possible matches"><Integration.PossibleMatches /></RequirePermission> },
            { path: 'possible-matches/:id', element: <RequirePermission actions={['identity.review']} what="reviewing possible matches"><Integration.PossibleMatchDetail /></RequirePermission> },
            { path: 'identity/patients/:id', element: <RequirePermission actions={['identity.review']} what="correcting patient identity"><Integration.IdentityHistory /></RequirePermission> },
          ],
        },
        { path: 'support', element: signedIn(<Support.FindAccount />, ['account.read'], 'the support desk (accounts and sessions)') },
        { path: 'support/accounts/:personId', element: signedIn(<Support.AccountDesk />, ['account.read'], 'the support desk (accounts and sessions)') },
        { path: '*', element: <NotFound /> },
      ],
    },
  ]);
}
