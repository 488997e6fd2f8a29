import { AboutVigil } from './components/AboutVigil.tsx';
import { SiteHeader } from './components/SiteHeader.tsx';
import { SystemHealth } from './components/SystemHealth.tsx';
import { useInstance } from './status/use-instance.ts';
import { useReadiness } from './status/use-readiness.ts';

export function App({ pollMs }: { pollMs: number }) {
  const observation = useReadiness(pollMs);
  const databaseReadyAt =
    observation.kind === 'answered' && observation.readiness.checks.database.status === 'up' ? observation.checkedAt.getTime() : undefined;
  const instance = useInstance(databaseReadyAt);

  return (
    <>
      <SiteHeader instance={instance} />
      <main className="page">
        <AboutVigil />
        <SystemHealth observation={observation} pollMs={pollMs} />
      </main>
      <footer className="site-footer">
        <p>This page shows no patient data.</p>
        <nav aria-label="For integration engineers">
          <a href="/health/ready">Readiness (JSON)</a>
          <a href="/openapi.json">API description (OpenAPI)</a>
          <a href="/metrics">Metrics</a>
        </nav>
      </footer>
    </>
  );
}
