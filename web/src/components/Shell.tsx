import { Suspense, useRef } from 'react';
import { Outlet } from 'react-router';
import { useInstanceContext } from '../status/instance-context.tsx';
import { SiteHeader } from './SiteHeader.tsx';

/** Header, the current screen, and the footer links for integration engineers. */
export function Shell() {
  const { instance } = useInstanceContext();
  const main = useRef<HTMLElement>(null);
  return (
    <>
      <a
        className="skip-link"
        href="#main"
        onClick={(event) => {
          // The hash belongs to the router: move focus without navigating.
          event.preventDefault();
          main.current?.focus();
        }}
      >
        Skip to content
      </a>
      <SiteHeader instance={instance} />
      <main className="page" id="main" ref={main} tabIndex={-1}>
        {/* Screens used by few load on first use (routes.tsx): one line while they do, in the page's place. */}
        <Suspense fallback={<p className="loading" role="status">Loading the screen…</p>}>
          <Outlet />
        </Suspense>
      </main>
      <footer className="site-footer">
        <p>Vigil decides every request on the server and records each access to patient data.</p>
        <nav aria-label="For integration engineers">
          <a href="/health/ready">Readiness (JSON)</a>
          <a href="/openapi.json">API description (OpenAPI)</a>
          <a href="/metrics">Metrics</a>
        </nav>
      </footer>
    </>
  );
}
