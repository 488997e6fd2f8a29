import { useEffect, useRef, useState, type ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { api } from '../api/client.ts';
import { ErrorNotice, Loading } from '../components/ErrorNotice.tsx';
import { TextArea } from '../components/Field.tsx';
import { Page } from '../components/Page.tsx';
import { Pill } from '../components/Pill.tsx';
import { RefusalNotice } from '../components/RefusalNotice.tsx';
import { useApi, useMutation } from '../hooks/use-api.ts';
import { identifierSystemName } from '../chart/words.ts';
import { useMe } from '../session/session.tsx';
import { calendarDate, dateTime } from '../text/time.ts';
import { plural } from '../text/words.ts';
import type { ComparisonRow, DecisionOutcome, EvidenceLine, MatchEvidence, PossibleMatchView, ReviewRecord, UnlinkOutcome } from './types.ts';
import { FIELD_NAMES, heldBecause, levelText, personName, sexText, STATE_WORDS, VERDICT_WORDS } from './words.ts';
import { RecordCells } from './RecordCells.tsx';
import './identity.css';

/**
 * One possible match, as an identity reviewer decides it: the record that arrived beside the patient it may be, field
 * by field in aligned rows, each row saying in a word and a sign whether the two agree; why the index held the pair;
 * the match weight and its evidence; every record behind both sides. Then link (the record moves to that patient, with
 * its results and encounters) or not a match, each behind a confirmation; a link can be undone from here.
 */
export function PossibleMatchDetail() {
  const { id = '' } = useParams();
  const view = useApi<PossibleMatchView>(`/api/identity/possible-matches/${encodeURIComponent(id)}`);
  const data = view.data?.id === id ? view.data : undefined;
  return (
    <Page
      title="Compare two records"
      lead="Is the record that arrived the same person as a patient Vigil already has? Read the rows, then decide. Opening this is recorded against both patients."
      actions={<Link to="/integration/possible-matches">Back to the queue</Link>}
    >
      {view.state === 'error' ? <ErrorNotice error={view.error} title={view.error.status === 404 ? 'No such pair' : 'The pair could not be loaded'} /> : null}
      {!data && view.state === 'loading' ? <Loading what="the pair" /> : null}
      {data ? (
        <>
          <Summary view={data} />
          <Comparison view={data} />
          <Decision view={data} onChanged={view.reload} />
          <Evidence evidence={data.evidence} />
          <Records view={data} />
        </>
      ) : null}
    </Page>
  );
}

function Summary({ view }: { view: PossibleMatchView }) {
  const state = STATE_WORDS[view.state];
  return (
    <div className="notice notice--info match-summary" data-testid="held-because">
      <p className="notice__title">
        <Pill tone={state.tone} testId="match-state">
          {state.label}
        </Pill>{' '}
        Held since {dateTime(view.createdAt)}
      </p>
      <p>{heldBecause(view.evidence.conflict, view.evidence.rule)}</p>
    </div>
  );
}

// ── The aligned rows ───────────────────────────────────────────────────────────────────────────────────────────────

function shown(field: string, value: string): string {
  if (field === 'birthDate') return calendarDate(value);
  if (field === 'sex') return sexText(value) ?? value;
  return value;
}

function Values({ field, values }: { field: string; values: string[] }) {
  if (values.length === 0) return <span className="muted">Not recorded</span>;
  return (
    <>
      {values.map((v) => (
        <span key={v} className={field === 'identifier' ? 'compare__value mono' : 'compare__value'}>
          {shown(field, v)}
        </span>
      ))}
    </>
  );
}

function VerdictCell({ row }: { row: ComparisonRow }) {
  const words = VERDICT_WORDS[row.verdict];
  const detail = row.field === 'identifier' ? (row.verdict === 'different' ? 'same issuer, different number: the conflict' : row.verdict === 'same' ? 'the same number' : undefined) : row.verdict === 'same' ? undefined : row.level ? levelText(row.field, row.level) : undefined;
  return (
    <>
      <span className={`verdict verdict--${row.verdict}`}>
        <span aria-hidden="true">{words.icon} </span>
        {words.label}
      </span>
      {detail ? <span className="cell__sub">{detail}</span> : null}
    </>
  );
}

function CompareRow({ row }: { row: ComparisonRow }) {
  const label =
    row.field === 'identifier' ? (
      <>
        {identifierSystemName(row.system ?? '') ?? 'Identifier'}
        <span className="cell__sub mono">{row.system}</span>
      </>
    ) : (
      FIELD_NAMES[row.field]
    );
  return (
    <tr className={`compare__row compare__row--${row.verdict}`} data-field={row.field} data-system={row.system ?? ''} data-verdict={row.verdict}>
      <th scope="row">{label}</th>
      <td>
        <Values field={row.field} values={row.record} />
      </td>
      <td className="compare__verdict">
        <VerdictCell row={row} />
      </td>
      <td>
        <Values field={row.field} values={row.candidate} />
      </td>
    </tr>
  );
}

function Comparison({ view }: { view: PossibleMatchView }) {
  const fields = view.comparison.filter((r) => r.field !== 'identifier');
  const identifiers = view.comparison.filter((r) => r.field === 'identifier');
  const count = (v: string) => view.comparison.filter((r) => r.verdict === v).length;
  return (
    <section className="panel" aria-labelledby="compare-title">
      <h2 id="compare-title" className="panel__title">
        Side by side
      </h2>
      <p className="compare__tally" data-testid="tally">
        <span className="verdict verdict--same">
          <span aria-hidden="true">✓ </span>
          {count('same')} same
        </span>
        <span className="verdict verdict--similar">
          <span aria-hidden="true">≈ </span>
          {count('similar')} similar
        </span>
        <span className="verdict verdict--different">
          <span aria-hidden="true">✗ </span>
          {count('different')} different
        </span>
        <span className="muted">{count('one-side') + count('neither') + count('cannot-compare')} not comparable</span>
      </p>
      <div className="table-wrap">
        <table className="table compare" data-testid="comparison">
          <thead>
            <tr>
              <th scope="col" className="compare__field">
                Field
              </th>
              <th scope="col">
                Record that arrived
                <span className="compare__side">
                  from {view.record.source.name}, filed as <span className="mono">{view.record.recordKey.value}</span>
                </span>
              </th>
              <th scope="col" className="compare__verdict">
                Agreement
              </th>
              <th scope="col">
                Patient it may be
                <span className="compare__side">as Vigil shows it now, from {plural(view.candidate.records.length, 'record')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {fields.map((r) => (
              <CompareRow key={r.field} row={r} />
            ))}
          </tbody>
          <tbody>
            <tr className="compare__group">
              <th scope="rowgroup" colSpan={4}>
                Identifiers (one row per issuer)
              </th>
            </tr>
            {identifiers.map((r) => (
              <CompareRow key={r.system} row={r} />
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

// ── Deciding ───────────────────────────────────────────────────────────────────────────────────────────────────────

type Confirming = 'link' | 'not-a-match' | null;

function whoText(id: string | undefined, name: string | null | undefined, me: string): string {
  if (!id) return 'someone';
  return id === `person:${me}` ? 'you' : (name ?? 'a colleague');
}

function Decision({ view, onChanged }: { view: PossibleMatchView; onChanged: () => void }) {
  const me = useMe();
  const [confirming, setConfirming] = useState<Confirming>(null);
  const [note, setNote] = useState('');
  const [answer, setAnswer] = useState<string>();
  const answerRef = useRef<HTMLDivElement>(null);
  const decide = useMutation((decision: 'link' | 'not-a-match') =>
    api<DecisionOutcome>(`/api/identity/possible-matches/${view.id}/decision`, { method: 'POST', body: { decision, ...(note.trim() ? { note: note.trim() } : {}) } }),
  );
  const undo = useMutation((eventId: string) => api<UnlinkOutcome>(`/api/identity/link-events/${encodeURIComponent(eventId)}/undo`, { method: 'POST' }));

  // The answer is what the reviewer needs next (and where Undo is): it takes focus, so it is also announced.
  useEffect(() => {
    if (answer) answerRef.current?.focus();
  }, [answer]);

  const source = view.record.source.name;
  const candidate = personName(view.candidate.demographics);
  const moves = `${plural(view.record.facts, 'clinical entry', 'clinical entries')} and ${plural(view.record.encounters, 'encounter')}`;
  const stays =
    view.recordPatientOthers.length === 0
      ? 'The patient Vigil made for this record keeps nothing, and will point to that patient.'
      : `The ${plural(view.recordPatientOthers.length, 'other record')} on the patient it is on now stay there.`;

  async function go(decision: 'link' | 'not-a-match') {
    setAnswer(undefined);
    const outcome = await decide.mutate(decision);
    if (!outcome) return;
    setConfirming(null);
    setNote('');
    setAnswer(
      decision === 'link'
        ? `Linked. The record from ${source} now belongs to ${candidate}, with its ${moves}.${outcome.link && outcome.link.leftBehind === 0 ? ' The patient it left now points there.' : ''} You can undo this below.`
        : 'Marked not a match. Nothing moved; the pair has left the queue.',
    );
    onChanged();
  }

  async function undoLink(eventId: string) {
    setAnswer(undefined);
    const outcome = await undo.mutate(eventId);
    if (!outcome) return;
    setAnswer(`Link undone. The record from ${source} is back with the patient it came from, and the pair is waiting for review again.`);
    onChanged();
  }

  const by = whoText(view.decidedBy?.id, view.decidedBy?.name, me.id);
  return (
    <section className="panel decision" aria-labelledby="decision-title" data-testid="decision" data-state={view.state}>
      <h2 id="decision-title" className="panel__title">
        Decision
      </h2>
      {answer ? (
        <div className="notice notice--ok" role="status" tabIndex={-1} ref={answerRef} data-testid="decision-answer">
          <p>{answer}</p>
        </div>
      ) : null}

      {view.state === 'open' && confirming === null ? (
        <div className="decision__choices">
          <div className="decision__choice">
            <button type="button" className="btn btn--primary" onClick={() => setConfirming('link')}>
              <span aria-hidden="true">⇄ </span>Link to this patient…
            </button>
            <p className="muted">Same person. The record and everything it brought move to {candidate}.</p>
          </div>
          <div className="decision__choice">
            <button type="button" className="btn btn--quiet" onClick={() => setConfirming('not-a-match')}>
              <span aria-hidden="true">≠ </span>Not a match…
            </button>
            <p className="muted">Two different people. Nothing moves.</p>
          </div>
        </div>
      ) : null}

      {view.state === 'open' && confirming ? (
        <div className="confirm" role="group" aria-label={confirming === 'link' ? 'Confirm the link' : 'Confirm not a match'} data-testid="confirm">
          <p className="confirm__title">{confirming === 'link' ? `Link the record from ${source} to ${candidate}?` : 'Mark these as two different people?'}</p>
          <p>
            {confirming === 'link'
              ? `Its ${moves} move with it, and that patient’s care team will see them. ${stays} You can undo this afterwards.`
              : 'Nothing moves: the record stays with its own patient and the pair leaves the queue.'}
          </p>
          <TextArea label="Note (optional)" hint="Why you decided so, for the audit trail: who you checked with, what settled it." rows={2} maxLength={500} value={note} onChange={(e) => setNote(e.target.value)} />
          <div className="form-actions">
            <button type="button" className={confirming === 'link' ? 'btn btn--primary' : 'btn btn--danger-outline'} disabled={decide.pending} onClick={() => void go(confirming)}>
              {decide.pending ? 'Saving…' : confirming === 'link' ? 'Link them' : 'Not a match'}
            </button>
            <button type="button" className="btn btn--quiet" onClick={() => setConfirming(null)}>
              Cancel
            </button>
          </div>
        </div>
      ) : null}

      {view.state === 'linked' ? (
        <div className="decision__done">
          <p>
            <Pill tone="ok">Linked</Pill> by {by}
            {view.decidedAt ? ` on ${dateTime(view.decidedAt)}` : ''}: the record from {source} belongs to {candidate}.
          </p>
          {view.link && !view.link.undone ? (
            <div className="decision__undo">
              <button type="button" className="btn btn--danger-outline" disabled={undo.pending} onClick={() => void undoLink(view.link!.eventId)}>
                {undo.pending ? 'Undoing…' : 'Undo link'}
              </button>
              <p className="muted">The record, its {moves} go back to the patient they came from; the pair waits for review again.</p>
            </div>
          ) : null}
        </div>
      ) : null}

      {view.state === 'not-a-match' ? (
        <p className="decision__done">
          <Pill tone="unknown">Not a match</Pill> decided by {by}
          {view.decidedAt ? ` on ${dateTime(view.decidedAt)}` : ''}.
        </p>
      ) : null}

      {view.state === 'open' && view.link?.undone ? <p className="muted">This pair was linked once, and the link was undone.</p> : null}
      {decide.error ? <RefusalNotice error={decide.error} failedTitle="Nothing was decided" /> : null}
      {undo.error ? <RefusalNotice error={undo.error} failedTitle="The link was not undone" /> : null}
    </section>
  );
}

// ── Evidence and records ───────────────────────────────────────────────────────────────────────────────────────────

function signed(weight: number): string {
  return weight > 0 ? `+${weight.toFixed(1)}` : weight < 0 ? `−${Math.abs(weight).toFixed(1)}` : '0';
}

function EvidenceTable({ lines, caption }: { lines: EvidenceLine[]; caption: string }) {
  return (
    <table className="table table--dense evidence">
      <caption className="table__caption">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Comparison</th>
          <th scope="col" className="num">
            Weight
          </th>
        </tr>
      </thead>
      <tbody>
        {lines.map((l) => (
          <tr key={l.field} data-field={l.field}>
            <th scope="row">{FIELD_NAMES[l.field] ?? l.field}</th>
            <td>{levelText(l.field, l.level)}</td>
            <td className={l.weight < 0 ? 'num evidence__minus' : 'num'}>{signed(l.weight)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Evidence({ evidence }: { evidence: MatchEvidence }) {
  const c = evidence.computed;
  const outcome = c.weight >= c.upper ? 'enough to link on its own' : c.weight >= c.lower ? 'in the review band' : 'below the review band';
  return (
    <section className="panel" aria-labelledby="evidence-title" data-testid="evidence">
      <h2 id="evidence-title" className="panel__title">
        Match weight and evidence
      </h2>
      <dl className="facts facts--columns">
        <Fact label="When it arrived">
          {evidence.rule === 'same-identifier'
            ? `Held by the identifier rule: a shared identifier${evidence.conflictingSystems ? `, and a different number from ${plural(evidence.conflictingSystems, 'issuer')} both use` : ''}. This rule does not score a weight.`
            : `Weight ${evidence.weight.toFixed(1)}, scored by the matcher.`}
        </Fact>
        <Fact label="Scored now">
          <strong>{c.weight.toFixed(1)}</strong> ({outcome}
          {c.conflict ? ', but held for a person' : ''})
        </Fact>
        <Fact label="Thresholds">
          {c.upper} and above links on its own; {c.lower} to {c.upper} goes to review; below {c.lower} is no match. Each field adds its weight: agreement on
          something rare adds much, a disagreement subtracts.
        </Fact>
      </dl>
      <div className="two-col evidence__tables">
        <EvidenceTable lines={c.lines} caption="Field by field, by Vigil’s matcher now" />
        {evidence.stored.length > 0 ? <EvidenceTable lines={evidence.stored} caption="As scored when the record arrived" /> : null}
      </div>
    </section>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function RecordRows({ records }: { records: ReviewRecord[] }) {
  return (
    <>
      {records.map((r) => (
        <tr key={r.recordId} data-record={r.recordId}>
          <RecordCells record={r} />
          <td className="num">{dateTime(r.receivedAt)}</td>
        </tr>
      ))}
    </>
  );
}

function RecordsTable({ records, testId }: { records: ReviewRecord[]; testId: string }) {
  return (
    <div className="table-wrap">
      <table className="table table--dense records" data-testid={testId}>
        <thead>
          <tr>
            <th scope="col">Source</th>
            <th scope="col">Name and birth date as sent</th>
            <th scope="col">How it was linked</th>
            <th scope="col">Brought</th>
            <th scope="col">First received</th>
          </tr>
        </thead>
        <tbody>
          <RecordRows records={records} />
        </tbody>
      </table>
    </div>
  );
}

function Records({ view }: { view: PossibleMatchView }) {
  return (
    <section className="panel" aria-labelledby="records-title">
      <h2 id="records-title" className="panel__title">
        The records behind each side
      </h2>
      <p className="muted">
        Identity history, to correct an earlier link or merge: <Link to={`/integration/identity/patients/${view.record.patientId}`}>the patient the record is on now</Link>
        {view.candidate.livePatientId !== view.record.patientId ? (
          <>
            {' · '}
            <Link to={`/integration/identity/patients/${view.candidate.livePatientId}`}>the patient it may be</Link>
          </>
        ) : null}
      </p>
      <h3 className="section-title">The record that arrived</h3>
      <RecordsTable records={[view.record]} testId="arrived-record" />
      {view.recordPatientOthers.length > 0 ? (
        <>
          <h3 className="section-title">Also on the patient it is on now (a link leaves these there)</h3>
          <RecordsTable records={view.recordPatientOthers} testId="left-records" />
        </>
      ) : null}
      <h3 className="section-title">Records of the patient it may be</h3>
      {view.candidate.records.length > 0 ? (
        <RecordsTable records={view.candidate.records} testId="candidate-records" />
      ) : (
        <p className="muted">This patient was entered in Vigil’s directory and has no record from a source.</p>
      )}
    </section>
  );
}
