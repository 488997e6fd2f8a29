import { useLayoutEffect, useRef } from 'react';
import { ErrorNotice, Loading } from '../components/ErrorNotice.tsx';
import { useApi } from '../hooks/use-api.ts';
import { confidenceText } from './Provenance.tsx';
import { StatusText } from './StatusText.tsx';
import { chartTime, zonedShort } from './time.ts';
import type { ChartFact, FactHistory, MedicationBody, ObservationBody, VersionView } from './types.ts';
import { doseText, factName, observationValue } from './values.ts';
import { derivationWords, qualityFlagText } from './words.ts';

/**
 * Every version of one fact the server lets this person see, newest first, with what changed from the version before
 * it and where each came from. Opening it is a read of the patient's record, audited by the server like the chart.
 */
function contentOf(fact: ChartFact, v: VersionView): string {
  if (fact.kind === 'observation') return observationValue(v.body as ObservationBody);
  if (fact.kind.startsWith('medication-')) return doseText(v.body as MedicationBody) ?? (v.codings[0]?.display ?? '—');
  return v.codings[0]?.display ?? v.codings[0]?.code ?? '—';
}

export function HistoryDialog({ fact, onClose }: { fact: ChartFact; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const history = useApi<FactHistory>(`/api/facts/${encodeURIComponent(fact.id)}/history`);

  useLayoutEffect(() => {
    const d = dialog.current;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (d && !d.open) d.showModal();
    return () => {
      d?.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);

  // The server lists versions in the order they rank (the current one last); numbers are arrival numbers, so the
  // list is read backwards, not sorted by number: a late older version is numbered higher than the current one.
  const versions = history.data ? [...history.data.versions].reverse() : [];
  // The one before in the list: numbers may skip versions the server left out for this person, so never count them.
  const previousOf = (v: VersionView) => versions[versions.indexOf(v) + 1];
  return (
    <dialog ref={dialog} className="dialog dialog--wide" aria-labelledby="history-title" onCancel={onClose} data-testid="fact-history">
      <header className="dialog__header">
        <h2 id="history-title" className="dialog__title">
          Version history: {factName(fact)}
        </h2>
        <p className="dialog__subtitle">
          Newest first. Each version is what a source sent at that time; the chart shows the one marked Current. Times are in your zone.
        </p>
      </header>
      {history.state === 'error' ? <ErrorNotice error={history.error} title="The history could not be loaded" /> : null}
      {!history.data && history.state === 'loading' ? <Loading what="the versions" /> : null}
      {history.data ? (
        <div className="table-wrap">
          <table className="table table--dense history" data-testid="versions">
            <thead>
              <tr>
                <th scope="col">Status</th>
                <th scope="col">{fact.kind === 'observation' ? 'Result' : 'Content'}</th>
                <th scope="col">Clinical time</th>
                <th scope="col">Sent · received</th>
                <th scope="col" className="history__source">Source and how</th>
              </tr>
            </thead>
            <tbody>
              {versions.map((v) => {
                const prev = previousOf(v);
                const changed = (a: string, b: string | undefined) => prev !== undefined && a !== b;
                const content = contentOf(fact, v);
                return (
                  <tr key={v.id} className={v.current ? 'history__row history__row--current' : 'history__row'} data-version={v.version} data-current={v.current}>
                    <th scope="row">
                      <StatusText kind={fact.kind} status={v.status} />
                      {changed(v.status, prev?.status) ? <Changed /> : null}
                      <span className="cell__sub">{v.current ? <span className="tag history__current">Current: shown in the chart</span> : 'Earlier version'}</span>
                    </th>
                    <td className="num">
                      {content}
                      {changed(content, prev ? contentOf(fact, prev) : undefined) ? <Changed /> : null}
                    </td>
                    <td className="num">{chartTime(v.effectiveAt)}</td>
                    <td className="num">
                      {zonedShort(v.sourceTime)}
                      <span className="cell__sub">received {zonedShort(v.recordedAt)}</span>
                    </td>
                    <td>
                      {v.provenance.sourceName ?? 'Unknown source'}
                      <span className="cell__sub">
                        {derivationWords(v.provenance.derivation).label}; confidence {confidenceText(v.provenance.confidence)}
                      </span>
                      {v.provenance.transform ? <span className="cell__sub mono">{v.provenance.transform}</span> : null}
                      {v.provenance.flags.map((f, i) => (
                        <span key={`${f.code}-${i}`} className="cell__sub">
                          {qualityFlagText(f.code)}
                          {f.at ? ` (at ${f.at})` : ''}
                        </span>
                      ))}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
      <div className="dialog__actions">
        <button type="button" className="btn btn--primary" onClick={onClose} autoFocus>
          Close
        </button>
      </div>
    </dialog>
  );
}

/** The leading space keeps "190 mg/dL changed" two words for copy and for screen readers, whatever the CSS does. */
function Changed() {
  return (
    <>
      {' '}
      <span className="changed">
        <span aria-hidden="true">● </span>changed
      </span>
    </>
  );
}
