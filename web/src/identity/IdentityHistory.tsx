import { useEffect, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api } from '../api/client.ts';
import { ErrorNotice, Loading } from '../components/ErrorNotice.tsx';
import { TextArea } from '../components/Field.tsx';
import { Page } from '../components/Page.tsx';
import { RefusalNotice } from '../components/RefusalNotice.tsx';
import { useApi, useMutation } from '../hooks/use-api.ts';
import { useMe } from '../session/session.tsx';
import { dateTime } from '../text/time.ts';
import type { HistoryAction, IdentityHistory as History, LinkEventView } from './types.ts';
import { RecordCells } from './RecordCells.tsx';
import { DECISION_WORDS } from './words.ts';
import { ColumnHeads } from '../components/ColumnHeads.tsx';
import './identity.css';

/**
 * One patient's identity, as an identity operator corrects it: the records behind the patient, every decision that
 * linked, merged or split them (newest first), and the way back from each. A change needs a reason and a confirmation,
 * and says afterwards what moved.
 */
export function IdentityHistory() {
  const { id = '' } = useParams();
  const view = useApi<History>(`/api/identity/patients/${encodeURIComponent(id)}/history`);
  const data = view.data?.patientId === id ? view.data : undefined;
  return (
    <Page
      title="Identity of one patient"
      lead="Every record Vigil holds for this patient and every decision that linked, merged or split them. Opening this is recorded against the patient."
      actions={<Link to="/integration/possible-matches">Possible matches</Link>}
    >
      {view.state === 'error' ? <ErrorNotice error={view.error} title={view.error.status === 404 ? 'No such patient' : 'The history could not be loaded'} /> : null}
      {!data && view.state === 'loading' ? <Loading what="the identity history" /> : null}
      {data ? <HistoryView history={data} onChanged={view.reload} /> : null}
    </Page>
  );
}

type Pending = { kind: 'split'; recordId: string; source: string } | { kind: 'event'; action: HistoryAction; event: LinkEventView };

function shortId(id: string | null): string {
  return id ? id.slice(0, 8) : '—';
}

function PatientLink({ id, current }: { id: string | null; current: string }) {
  if (!id) return <span className="muted">none</span>;
  if (id === current) return <span className="mono">this patient</span>;
  return (
    <Link className="mono" to={`/integration/identity/patients/${id}`}>
      {shortId(id)}
    </Link>
  );
}

function HistoryView({ history, onChanged }: { history: History; onChanged: () => void }) {
  const me = useMe();
  const [pending, setPending] = useState<Pending | null>(null);
  const [reason, setReason] = useState('');
  const [answer, setAnswer] = useState<string>();
  const answerRef = useRef<HTMLDivElement>(null);
  const change = useMutation((p: Pending, why: string) => {
    const body = { reason: why };
    if (p.kind === 'split') return api<{ newPatientId: string }>(`/api/identity/records/${p.recordId}/split`, { method: 'POST', body });
    const a = p.action;
    if (a.kind === 'unmerge') return api<{ restoredRecords: number }>(`/api/identity/merges/${a.mergeId}/unmerge`, { method: 'POST', body });
    if (a.kind === 'undo-source-link') return api<{ restoredRecords: number }>(`/api/identity/links/${a.linkId}/undo`, { method: 'POST', body });
    if (a.kind === 'undo-split') return api<unknown>(`/api/identity/link-events/${a.eventId}/undo-split`, { method: 'POST', body });
    return api<unknown>(`/api/identity/link-events/${a.eventId}/undo`, { method: 'POST' });
  });

  useEffect(() => {
    if (answer) answerRef.current?.focus();
  }, [answer]);

  async function confirm() {
    if (!pending) return;
    setAnswer(undefined);
    const done = await change.mutate(pending, reason.trim());
    if (done === undefined) return;
    setAnswer(ANSWERS[pending.kind === 'split' ? 'split' : pending.action.kind]);
    setPending(null);
    setReason('');
    onChanged();
  }

  const live = history.records.filter((r) => !r.retired).length;
  return (
    <>
      {history.livePatientId !== history.patientId ? (
        <div className="notice notice--warn" data-testid="merged-away">
          <p className="notice__title">This patient was merged into another</p>
          <p>
            Its records now belong to <PatientLink id={history.livePatientId} current={history.patientId} />. Undo the merge from that patient’s history, or from
            the merge below.
          </p>
        </div>
      ) : null}
      {answer ? (
        <div className="notice notice--ok" role="status" tabIndex={-1} ref={answerRef} data-testid="history-answer">
          <p>{answer}</p>
        </div>
      ) : null}

      <section className="panel" aria-labelledby="records-title">
        <h2 id="records-title" className="panel__title">
          Records ({history.records.length})
        </h2>
        {history.records.length === 0 ? <p className="muted">No source has sent a record for this patient; it was entered in Vigil’s directory.</p> : null}
        {history.records.length > 0 ? (
          <div className="table-wrap">
            <table className="table table--dense records" data-testid="history-records">
              <ColumnHeads columns={['Source', 'Name and birth date as sent', 'How it was linked', 'Brought']} action="Action" />
              <tbody>
                {history.records.map((r) => (
                  <tr key={r.recordId} data-record={r.recordId}>
                    <RecordCells record={r} />
                    <td>
                      {r.mayBeSplit ? (
                        <button type="button" className="btn btn--quiet btn--small" onClick={() => setPending({ kind: 'split', recordId: r.recordId, source: r.source.name })}>
                          Split off…
                        </button>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        {live === 1 ? <p className="muted">With one live record there is nothing to split.</p> : null}
      </section>

      {pending ? (
        <section className="panel confirm" role="group" aria-label="Confirm the correction" data-testid="history-confirm">
          <p className="confirm__title">{confirmTitle(pending)}</p>
          <p>{confirmText(pending)}</p>
          {pending.kind === 'event' && pending.action.kind === 'undo-link' ? null : (
            <TextArea label="Reason" hint="Required, for the audit trail: what showed the link was wrong, who you checked with." rows={2} maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} />
          )}
          <div className="form-actions">
            <button
              type="button"
              className="btn btn--danger-outline"
              disabled={change.pending || (!(pending.kind === 'event' && pending.action.kind === 'undo-link') && reason.trim().length < 3)}
              onClick={() => void confirm()}
            >
              {change.pending ? 'Saving…' : confirmButton(pending)}
            </button>
            <button type="button" className="btn btn--quiet" onClick={() => setPending(null)}>
              Cancel
            </button>
          </div>
        </section>
      ) : null}
      {change.error ? <RefusalNotice error={change.error} failedTitle="Nothing was changed" /> : null}

      <section className="panel" aria-labelledby="events-title">
        <h2 id="events-title" className="panel__title">
          Link decisions, newest first
        </h2>
        <div className="table-wrap">
          <table className="table table--dense" data-testid="history-events">
            <ColumnHeads columns={['When', 'What happened', 'Record', 'From', 'To', 'By']} action="Action" />
            <tbody>
              {history.events.map((e) => (
                <tr key={e.id} data-decision={e.decision}>
                  <td className="num">{dateTime(e.at)}</td>
                  <td>
                    {DECISION_WORDS[e.decision] ?? e.decision}
                    {e.weight !== null && e.decision === 'probabilistic' ? <span className="cell__sub">match weight {e.weight.toFixed(1)}</span> : null}
                    {e.reason ? <span className="cell__sub">“{e.reason}”</span> : null}
                    {e.undone ? <span className="cell__sub">undone since</span> : null}
                  </td>
                  <td>{e.source}</td>
                  <td>
                    <PatientLink id={e.fromPatientId} current={history.patientId} />
                  </td>
                  <td>
                    <PatientLink id={e.toPatientId} current={history.patientId} />
                  </td>
                  <td>{e.by.id === `person:${me.id}` ? 'you' : (e.by.name ?? (e.by.id.startsWith('person:') ? 'a colleague' : 'Vigil'))}</td>
                  <td>
                    {e.action ? (
                      <button type="button" className="btn btn--quiet btn--small" onClick={() => setPending({ kind: 'event', action: e.action!, event: e })}>
                        {ACTION_WORDS[e.action.kind]}
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </>
  );
}

const ACTION_WORDS: Record<HistoryAction['kind'], string> = { unmerge: 'Unmerge…', 'undo-source-link': 'Undo link…', 'undo-link': 'Undo link…', 'undo-split': 'Undo split…' };

const ANSWERS: Record<'split' | HistoryAction['kind'], string> = {
  split: 'Split. The record and what it brought now belong to a new patient of their own; its history is linked above.',
  unmerge: 'Merge undone. Every record the merge moved is back with the patient it came from.',
  'undo-source-link': 'Link undone. Every record the source’s link moved is back with the patient it came from.',
  'undo-link': 'Link undone. The record is back with the patient it came from, and the pair waits for review again.',
  'undo-split': 'Split undone. The record is back with this patient.',
};

function confirmTitle(p: Pending): string {
  if (p.kind === 'split') return `Split the record from ${p.source} off into a new patient?`;
  if (p.action.kind === 'unmerge') return `Undo the merge ${p.event.source} sent?`;
  if (p.action.kind === 'undo-source-link') return `Undo the link ${p.event.source} sent?`;
  if (p.action.kind === 'undo-split') return 'Put the split record back?';
  return 'Undo this link?';
}

function confirmText(p: Pending): string {
  if (p.kind === 'split') return 'Its results, medications and encounters move with it, out of this chart and away from this care team. You can undo this from the history.';
  if (p.action.kind === 'unmerge') return 'Every record the merge moved goes back to the patient it came from, and the record the source retired is live again. A replay of that source’s merge message would merge them again.';
  if (p.action.kind === 'undo-split') return 'The record and what it brought come back to the patient it was split from.';
  if (p.action.kind === 'undo-source-link') return 'Every record the link moved goes back to the patient it came from; both records stay live. A replay of that source’s link message would link them again.';
  return 'The record goes back to the patient it came from, and the pair waits for review again.';
}

function confirmButton(p: Pending): string {
  if (p.kind === 'split') return 'Split off';
  return p.action.kind === 'unmerge' ? 'Unmerge' : p.action.kind === 'undo-split' ? 'Undo split' : 'Undo link';
}
