import { plural } from '../text/words.ts';
import { since, zonedTime } from './time.ts';
import type { Chart } from './types.ts';
import { factName } from './values.ts';
import { CRITICALITY } from './words.ts';
import './chart.css';

/**
 * What must be read before anything else on the record: feeds behind this chart that have gone quiet (so what follows
 * may be out of date) and the allergies. It sits above the demographics, because a stale registration feed makes those
 * doubtful too.
 */
export function ChartAlerts({ chart }: { chart: Chart }) {
  return (
    <div className="chart-alerts">
      {chart.stale.length > 0 ? (
        <div className="notice notice--warn chart-stale" role="alert" data-testid="chart-stale">
          <p className="notice__title">
            <span aria-hidden="true">⚠ </span>
            {chart.stale.length === 1 ? 'A feed behind this chart has gone quiet' : `${plural(chart.stale.length, 'feed')} behind this chart have gone quiet`}
          </p>
          <ul className="chart-stale__list">
            {chart.stale.map((feed) => (
              <li key={feed.sourceId} data-source={feed.sourceName}>
                Data from <strong>{feed.sourceName}</strong> may be out of date:{' '}
                {feed.lastMessageAt
                  ? `no messages since ${zonedTime(feed.lastMessageAt)} (${since(feed.lastMessageAt)}).`
                  : `no messages received; overdue since ${zonedTime(feed.staleSince)} (${since(feed.staleSince)}).`}
              </li>
            ))}
          </ul>
          <p className="chart-stale__hint">Newer results, orders or changes from {chart.stale.length === 1 ? 'it' : 'them'} may not be here yet. Check the source system if it matters now.</p>
        </div>
      ) : null}
      <Allergies chart={chart} />
    </div>
  );
}

function Allergies({ chart }: { chart: Chart }) {
  const active = chart.allergies.items.filter((a) => a.status !== 'entered-in-error' && a.status !== 'refuted' && a.status !== 'resolved' && a.status !== 'inactive');
  return (
    <section className={active.length ? 'allergy-strip allergy-strip--some' : 'allergy-strip'} aria-labelledby="allergy-strip-title" data-testid="allergy-strip">
      <h2 id="allergy-strip-title" className="allergy-strip__title">
        {active.length ? <span aria-hidden="true">! </span> : null}
        Allergies
      </h2>
      {active.length === 0 ? (
        <p className="allergy-strip__none">None received from the connected sources. That does not mean the patient has none.</p>
      ) : (
        <ul className="allergy-strip__list">
          {active.map((a) => {
            const body = a.body as { criticality?: string; reaction?: string };
            return (
              <li key={a.id} className={body.criticality === 'high' ? 'allergy-strip__item allergy-strip__item--high' : 'allergy-strip__item'}>
                <strong>{factName(a)}</strong>
                {body.criticality ? <span>{CRITICALITY[body.criticality] ?? body.criticality}</span> : null}
                {body.reaction ? <span>Reaction: {body.reaction}</span> : null}
                {a.inferred ? <span className="inferred">≈ Inferred</span> : null}
              </li>
            );
          })}
        </ul>
      )}
      {chart.allergies.next ? <p className="allergy-strip__none">More allergies are recorded than shown here: see Allergies in the chart.</p> : null}
    </section>
  );
}
