import type { Verdict } from '../status/verdicts.ts';
import { StatusPill } from './StatusPill.tsx';

interface OverallStatusProps {
  verdict: Verdict;
  version: string | undefined;
  role: string | undefined;
}

export function OverallStatus({ verdict, version, role }: OverallStatusProps) {
  return (
    <div className={`overall overall--${verdict.tone}`} data-testid="overall-status" data-state={verdict.state}>
      {/* Polite and atomic: a change of state is announced once, the clock ticking below is not. */}
      <div className="overall__text" role="status" aria-live="polite" aria-atomic="true">
        <p className="overall__headline">
          <span className="overall__label">System status</span>
          <StatusPill tone={verdict.tone} label={verdict.label} />
        </p>
        <p className="overall__detail">{verdict.detail}</p>
      </div>
      {version ? (
        <dl className="overall__facts">
          <div>
            <dt>Version</dt>
            <dd>{version}</dd>
          </div>
          {role ? (
            <div>
              <dt>Process role</dt>
              <dd>{role}</dd>
            </div>
          ) : null}
        </dl>
      ) : null}
    </div>
  );
}
