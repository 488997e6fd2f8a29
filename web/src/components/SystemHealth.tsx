import { clockTime, duration } from '../status/format-time.ts';
import type { HealthObservation } from '../status/use-readiness.ts';
import { databaseVerdict, migrationsVerdict, overallVerdict, workersVerdict } from '../status/verdicts.ts';
import { CheckCard } from './CheckCard.tsx';
import { OverallStatus } from './OverallStatus.tsx';
import { WorkerList } from './WorkerList.tsx';

function lastChecked(o: HealthObservation): string {
  if (o.kind === 'waiting') return 'Not checked yet';
  if (o.kind === 'answered') return `Last checked ${clockTime(o.checkedAt)}`;
  const answered = o.lastAnsweredAt ? `last answer ${clockTime(o.lastAnsweredAt)}` : 'no answer since this page opened';
  return `Last checked ${clockTime(o.checkedAt)}, ${answered}`;
}

export function SystemHealth({ observation, pollMs }: { observation: HealthObservation; pollMs: number }) {
  const pollEvery = duration(pollMs);
  // Without a current answer the last report is not shown as if it still held: stale green is worse than grey.
  const readiness = observation.kind === 'answered' ? observation.readiness : undefined;
  const stale = observation.kind !== 'answered';
  const workers = readiness?.checks.workers.workers ?? [];

  return (
    <section className="health" aria-labelledby="health-title">
      <div className="health__heading">
        <h2 id="health-title">System health</h2>
        <p className="health__checked" data-testid="last-checked">
          {lastChecked(observation)} · refreshes every {pollEvery}
        </p>
      </div>
      <OverallStatus verdict={overallVerdict(observation, pollEvery)} version={readiness?.version} role={readiness?.role} />
      <div className="checks">
        <CheckCard testId="check-database" title="Database" verdict={databaseVerdict(readiness)} stale={stale} />
        <CheckCard testId="check-migrations" title="Schema migrations" verdict={migrationsVerdict(readiness)} stale={stale} />
        <CheckCard testId="check-workers" title="Workers" verdict={workersVerdict(readiness)} stale={stale} wide>
          <WorkerList workers={workers} />
        </CheckCard>
      </div>
    </section>
  );
}
