import { useEffect } from 'react';
import { AboutVigil } from './components/AboutVigil.tsx';
import { SystemHealth } from './components/SystemHealth.tsx';
import { useInstanceContext } from './status/instance-context.tsx';
import { useReadiness } from './status/use-readiness.ts';

/** The start page: what Vigil is and live system health. Everyone may see it, signed in or not; it shows no patient data. */
export function StartPage({ pollMs }: { pollMs: number }) {
  const observation = useReadiness(pollMs);
  const databaseReadyAt =
    observation.kind === 'answered' && observation.readiness.checks.database.status === 'up' ? observation.checkedAt.getTime() : undefined;
  const { reportDatabaseReady } = useInstanceContext();
  useEffect(() => {
    if (databaseReadyAt !== undefined) reportDatabaseReady(databaseReadyAt);
  }, [databaseReadyAt, reportDatabaseReady]);
  useEffect(() => {
    document.title = 'Vigil';
  }, []);

  return (
    <div className="start">
      <AboutVigil />
      <SystemHealth observation={observation} pollMs={pollMs} />
      <p className="start__note">This page shows no patient data.</p>
    </div>
  );
}
