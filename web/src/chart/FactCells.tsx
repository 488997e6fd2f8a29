import type { ReactNode } from 'react';
import { Provenance } from './Provenance.tsx';
import { StatusText } from './StatusText.tsx';
import { chartTime } from './time.ts';
import type { ChartFact } from './types.ts';
import { factName } from './values.ts';

/** The cells every chart table builds its fact rows from, so each section shows a fact's name, status and source alike. */

export type OpenHistory = (fact: ChartFact) => void;

export function InferredMark({ fact }: { fact: { inferred: boolean } }) {
  return fact.inferred ? (
    <span className="inferred" title="Vigil inferred this; no source stated it">
      ≈ Inferred
    </span>
  ) : null;
}

/** Confidentiality codes a source puts on documents, in words; sensitivity categories are shown by their code. */
const RESTRICTION: Record<string, string> = { R: 'Restricted', V: 'Very restricted' };

/**
 * A fact its source labelled (a restricted document) is shown only to readers whose roles open the label: the mark
 * tells them it is restricted, so they treat it as such (no copying into notes others read).
 */
export function RestrictedMark({ fact }: { fact: { securityLabels: readonly string[] } }) {
  if (fact.securityLabels.length === 0) return null;
  const words = fact.securityLabels.map((l) => RESTRICTION[l] ?? l).join(', ');
  return (
    <span className="restricted" title={`Its source marked it ${words.toLowerCase()}: shown only to roles that open that label`}>
      {words}
    </span>
  );
}

/**
 * A fact that changed after it first arrived (a corrected result) is worth a look, so the mark opens its history. It
 * gives no count: the server numbers every version, including ones this person may not see.
 */
function Versions({ fact, onHistory }: { fact: ChartFact; onHistory: OpenHistory }) {
  if (fact.version <= 1) return null;
  return (
    <button type="button" className="linklike versions" onClick={() => onHistory(fact)} aria-label={`${factName(fact)} was updated: open its version history`}>
      updated · history
    </button>
  );
}

export function Name({ fact, sub }: { fact: ChartFact; sub?: ReactNode }) {
  return (
    <>
      <span className="chart__name">{factName(fact)}</span> <InferredMark fact={fact} /> <RestrictedMark fact={fact} />
      {sub ? <span className="cell__sub">{sub}</span> : null}
    </>
  );
}

/** An inferred entry is shaded so it is never read as a source's own word; tests find a row by its fact id. */
export function FactRow({ fact, children }: { fact: ChartFact; children: ReactNode }) {
  return (
    <tr data-fact-id={fact.id} className={fact.inferred ? 'chart-row--inferred' : undefined}>
      {children}
    </tr>
  );
}

export function StatusCell({ fact, onHistory }: { fact: ChartFact; onHistory: OpenHistory }) {
  return (
    <td>
      <StatusText kind={fact.kind} status={fact.status} /> <Versions fact={fact} onHistory={onHistory} />
      {fact.absentSince ? <span className="cell__sub">not on the source’s active list since {chartTime(fact.absentSince)}</span> : null}
    </td>
  );
}

export function SourceCell({ fact, onHistory }: { fact: ChartFact; onHistory: OpenHistory }) {
  return (
    <td>
      <Provenance provenance={fact.provenance} subject={factName(fact)} version={{ number: fact.version, lastUpdated: fact.lastUpdated }} onHistory={() => onHistory(fact)} />
    </td>
  );
}
