import { Link, NavLink, useLocation } from 'react-router';
import { useSession } from '../session/session.tsx';
import type { InstanceInfo } from '../status/types.ts';
import { roleName } from '../text/words.ts';
import markUrl from '../vigil-mark.svg';

const navClass = ({ isActive }: { isActive: boolean }) => (isActive ? 'nav__link nav__link--active' : 'nav__link');

/**
 * Brand, instance, and the areas this person's permissions open (from GET /auth/me). Hiding a link only spares a
 * person a screen the server would refuse; the server still decides every request.
 */
export function SiteHeader({ instance }: { instance: InstanceInfo | undefined }) {
  const { state, may, signOut } = useSession();
  const signedIn = state.phase === 'signed-in';
  const onSignIn = useLocation().pathname === '/sign-in';
  return (
    <header className="site-header">
      <div className="site-header__inner">
        <div className="site-header__brand">
          <Link className="brand" to="/">
            <img className="brand__mark" src={markUrl} alt="" width="28" height="28" />
            <span className="brand__name">Vigil</span>
          </Link>
          {instance ? (
            <div className="instance">
              <span className="instance__caption">Instance</span>
              <span className="instance__name" data-testid="instance-name">
                {instance.name}
              </span>
              {instance.demo ? (
                <span className="demo-badge" data-testid="demo-badge" title="This instance holds synthetic patients only, never real patient data">
                  Demo data
                </span>
              ) : null}
            </div>
          ) : null}
        </div>
        <nav className="nav" aria-label="Main">
          {signedIn && may('patient.search') ? (
            <NavLink className={navClass} to="/patients">
              Patients
            </NavLink>
          ) : null}
          {signedIn && (may('audit.read') || may('break-glass.review') || may('audit.verify')) ? (
            <NavLink className={navClass} to="/privacy">
              Privacy
            </NavLink>
          ) : null}
          {signedIn && may('directory.read') ? (
            <NavLink className={navClass} to="/admin">
              Admin
            </NavLink>
          ) : null}
          {signedIn && may('account.read') ? (
            <NavLink className={navClass} to="/support">
              Support
            </NavLink>
          ) : null}
          {signedIn && (may('feed.read') || may('message.read') || may('source.manage') || may('identity.review')) ? (
            <NavLink className={navClass} to="/integration">
              Integration
            </NavLink>
          ) : null}
          <NavLink className={navClass} to="/system">
            System
          </NavLink>
        </nav>
        <div className="account">
          {state.phase === 'signed-in' ? (
            <>
              <NavLink
                className={({ isActive }) => (isActive ? 'account__me account__me--active' : 'account__me')}
                to="/me"
                data-testid="account-link"
                title={`${state.me.displayName} — ${state.me.roles.map(roleName).join(', ') || 'No roles'}`}
              >
                <span className="account__name">{state.me.displayName}</span>
                <span className="account__roles">{state.me.roles.map(roleName).join(', ') || 'No roles'}</span>
              </NavLink>
              <button type="button" className="btn btn--quiet btn--small" onClick={() => void signOut()}>
                Sign out
              </button>
            </>
          ) : onSignIn ? null : (
            <Link className="btn btn--primary" to="/sign-in">
              Sign in
            </Link>
          )}
        </div>
      </div>
    </header>
  );
}
