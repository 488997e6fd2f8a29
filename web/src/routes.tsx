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
 * A screen loaded when first opened. Clinicians' screens (patients, the chart) come with the app; the integration,
 * identity, privacy, directory and support screens, used by few, load on first use (Shell shows a line meanwhile),
 * which keeps the first load of the app small.
 */
function onFirstUse<M extends Record<string, unknown>, K extends keyof M & string>(load: () => Promise<M>, name: K): LazyExoticComponent<ComponentType> {
  return lazy(async () => ({ default: (await load())[name] as ComponentType }));
}

const integration = () => import('./integration/screens.ts');
const IntegrationLayout = onFirstUse(integration, 'IntegrationLayout');
const IntegrationIndex = onFirstUse(integration, 'IntegrationIndex');
const FeedsDashboard = onFirstUse(integration, 'FeedsDashboard');
const MessageBrowser = onFirstUse(integration, 'MessageBrowser');
const MessageDetailRoute = onFirstUse(integration, 'MessageDetailRoute');
const Sources = onFirstUse(integration, 'Sources');
const PossibleMatches = onFirstUse(integration, 'PossibleMatches');
const PossibleMatchDetail = onFirstUse(integration, 'PossibleMatchDetail');
const IdentityHistory = onFirstUse(integration, 'IdentityHistory');

const privacy = () => import('./screens/privacy/screens.ts');
const PrivacyLayout = onFirstUse(privacy, 'PrivacyLayout');
const PrivacyIndex = onFirstUse(privacy, 'PrivacyIndex');
const AuditSearch = onFirstUse(privacy, 'AuditSearch');
const AuditEventDetail = onFirstUse(privacy, 'AuditEventDetail');
const AccessReport = onFirstUse(privacy, 'AccessReport');
const BreakGlassReviews = onFirstUse(privacy, 'BreakGlassReviews');
const Verification = onFirstUse(privacy, 'Verification');

const admin = () => import('./screens/admin/screens.ts');
const AdminLayout = onFirstUse(admin, 'AdminLayout');
const AdminIndex = onFirstUse(admin, 'AdminIndex');
const People = onFirstUse(admin, 'People');
const PersonNew = onFirstUse(admin, 'PersonNew');
const PersonDetail = onFirstUse(admin, 'PersonDetail');
const CareTeams = onFirstUse(admin, 'CareTeams');
const Coverage = onFirstUse(admin, 'Coverage');

const support = () => import('./screens/support/screens.ts');
const FindAccount = onFirstUse(support, 'FindAccount');
const AccountDesk = onFirstUse(support, 'AccountDesk');

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
