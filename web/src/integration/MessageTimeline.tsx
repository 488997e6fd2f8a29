import { Link } from 'react-router';
import { useMe } from '../session/session.tsx';
import { stamp } from './time.ts';
import type { TimelineStep } from './types.ts';
import { actorWords, detailLabel, detailValue, MESSAGE_LINK_KEYS, stepWords } from './words.ts';

/** Every step the message went through, oldest first: when, what, who, and the facts of the step (never content). */
export function MessageTimeline({ steps }: { steps: TimelineStep[] }) {
  const me = useMe();
  return (
    <ol className="timeline" data-testid="timeline">
      {steps.map((s, i) => {
        const actor = actorWords(s.actor, me.id);
        return (
          <li key={i} className="timeline__step" data-step={s.step}>
            <time className="timeline__at num" dateTime={s.at}>
              {stamp(s.at)}
            </time>
            <span className="timeline__what">{stepWords(s.step, i === 0)}</span>
            <span className="timeline__who">
              {actor.label}
              {actor.id ? (
                <>
                  {' '}
                  <span className="mono muted" title={actor.id}>
                    {actor.id.slice(0, 8)}
                  </span>
                </>
              ) : null}
            </span>
            <StepFacts detail={s.detail} />
          </li>
        );
      })}
    </ol>
  );
}

function StepFacts({ detail }: { detail: Record<string, unknown> | null }) {
  const entries = detail ? Object.entries(detail).filter(([, v]) => v !== null && v !== undefined) : [];
  if (entries.length === 0) return <span className="timeline__facts" />;
  return (
    <ul className="timeline__facts tags">
      {entries.map(([key, value]) => (
        <li key={key} className="tag">
          {detailLabel(key)}:{' '}
          {MESSAGE_LINK_KEYS.has(key) && typeof value === 'string' ? (
            <Link to={`/integration/messages/${value}`} className="mono">
              {value.slice(0, 8)}
            </Link>
          ) : (
            detailValue(key, value)
          )}
        </li>
      ))}
    </ul>
  );
}
