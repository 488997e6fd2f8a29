import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api } from '../../api/client.ts';
import type { BreakGlassGrant, BreakGlassReasons } from '../../api/types.ts';
import { ErrorNotice, Loading } from '../../components/ErrorNotice.tsx';
import { Choice, ChoiceGroup, TextArea } from '../../components/Field.tsx';
import { Page } from '../../components/Page.tsx';
import { Pill } from '../../components/Pill.tsx';
import { useApi, useMutation } from '../../hooks/use-api.ts';
import { useMe } from '../../session/session.tsx';
import { dateTime, untilText } from '../../text/time.ts';
import { plural, reviewOutcomeName } from '../../text/words.ts';

const TABS = [
  { status: 'pending', label: 'Waiting for review' },
  { status: 'reviewed', label: 'Reviewed' },
  { status: 'all', label: 'All' },
] as const;

const OUTCOMES = [
  { code: 'appropriate', label: 'Appropriate', hint: 'The emergency justified the access.' },
  { code: 'needs-follow-up', label: 'Needs follow-up', hint: 'Ask the person or their manager before deciding.' },
  { code: 'inappropriate', label: 'Inappropriate', hint: 'The access was not justified; follow your policy.' },
] as const;

/** The break-glass review queue: each emergency access with its reason and how much it was used; record an outcome. */
export function BreakGlassReviews() {
  const [params, setParams] = useSearchParams();
  const status = TABS.find((t) => t.status === params.get('status'))?.status ?? 'pending';
  const queue = useApi<{ grants: BreakGlassGrant[] }>(`/api/break-glass/reviews?status=${status}`);
  const reasons = useApi<BreakGlassReasons>('/api/break-glass/reasons');
  const reasonName = (code: string) => reasons.data?.reasons.find((r) => r.code === code)?.display ?? code;
  const grants = queue.data?.grants ?? [];

  return (
    <Page title="Break-glass reviews" lead="Emergency access to records outside a person’s care. Each one waits here until a privacy officer records an outcome.">
      <div className="tabs" role="group" aria-label="Which reviews">
        {TABS.map((t) => (
          <button key={t.status} type="button" className={t.status === status ? 'tabs__tab tabs__tab--active' : 'tabs__tab'} aria-pressed={t.status === status} onClick={() => setParams(t.status === 'pending' ? {} : { status: t.status })}>
            {t.label}
          </button>
        ))}
      </div>

      {queue.state === 'error' ? <ErrorNotice error={queue.error} title="The queue could not be loaded" /> : null}
      {queue.state === 'loading' && !queue.data ? <Loading what="the queue" /> : null}
      {queue.state === 'ok' ? (
        <p role="status" className="muted" data-testid="review-count">
          {grants.length === 0 ? (status === 'pending' ? 'Nothing is waiting for review.' : 'No emergency access recorded.') : plural(grants.length, 'emergency access', 'emergency accesses')}
        </p>
      ) : null}

      <ol className="review-list">
        {grants.map((g) => (
          <li key={g.id}>
            <ReviewCard grant={g} reasonName={reasonName(g.reasonCode)} onReviewed={queue.reload} />
          </li>
        ))}
      </ol>
    </Page>
  );
}

function ReviewCard({ grant, reasonName, onReviewed }: { grant: BreakGlassGrant; reasonName: string; onReviewed: () => void }) {
  const [outcome, setOutcome] = useState('');
  const [note, setNote] = useState('');
  const [tried, setTried] = useState(false);
  const me = useMe();
  const review = useMutation(() => api<BreakGlassGrant>(`/api/break-glass/${grant.id}/review`, { method: 'POST', body: { outcome, note: note.trim() } }));
  const state = grant.active ? 'Open now' : grant.endedAt ? 'Ended early' : 'Expired';

  async function submit(event: FormEvent) {
    event.preventDefault();
    setTried(true);
    if (!outcome) return;
    const done = await review.mutate();
    if (done) onReviewed();
  }

  return (
    <article className="panel review" aria-labelledby={`grant-${grant.id}`} data-testid="review-card" data-grant={grant.id} data-patient={grant.patientId}>
      <header className="review__head">
        <h2 id={`grant-${grant.id}`} className="review__who">
          {grant.displayName} <span className="muted">({grant.username})</span>
        </h2>
        <div className="review__pills">
          {grant.active ? <Pill tone="glass">{`Open — ends ${untilText(grant.expiresAt)}`}</Pill> : <Pill tone="unknown">{state}</Pill>}
          {grant.reviewStatus === 'reviewed' ? <Pill tone={grant.reviewOutcome === 'appropriate' ? 'ok' : grant.reviewOutcome === 'inappropriate' ? 'bad' : 'warn'}>{reviewOutcomeName(grant.reviewOutcome)}</Pill> : <Pill tone="warn">Waiting for review</Pill>}
        </div>
      </header>
      <dl className="facts facts--columns">
        <div>
          <dt>Reason</dt>
          <dd>{reasonName}</dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>{dateTime(grant.startedAt)}</dd>
        </div>
        <div>
          <dt>{grant.endedAt ? 'Ended' : grant.active ? 'Ends' : 'Expired'}</dt>
          <dd>{dateTime(grant.endedAt ?? grant.expiresAt)}</dd>
        </div>
        <div>
          <dt>Accesses while open</dt>
          <dd data-testid="access-count">{grant.accessCount}</dd>
        </div>
        <div className="facts__wide">
          <dt>Their explanation</dt>
          <dd className="quote">{grant.reasonText}</dd>
        </div>
        <div className="facts__wide">
          <dt>Patient</dt>
          <dd>
            <span className="mono">{grant.patientId}</span>{' '}
            <span className="link-row link-row--inline">
              <Link to={`/privacy/audit?patient=${grant.patientId}&actor=${encodeURIComponent(grant.username)}&break_glass=true`}>What they did</Link>
              <Link to={`/privacy/access-report?patient=${grant.patientId}`}>Who has seen this record</Link>
            </span>
          </dd>
        </div>
      </dl>

      {grant.reviewStatus === 'pending' && grant.personId === me.id ? (
        <p className="review__done muted">This is your own emergency access: another privacy officer must review it.</p>
      ) : grant.reviewStatus === 'reviewed' ? (
        <div className="review__done">
          <p>
            <strong>{reviewOutcomeName(grant.reviewOutcome)}</strong> — reviewed {grant.reviewerId === me.id ? 'by you ' : ''}
            {dateTime(grant.reviewedAt)}
          </p>
          {grant.reviewNote ? <p className="quote">{grant.reviewNote}</p> : null}
        </div>
      ) : (
        <form className="review__form" onSubmit={(e) => void submit(e)} aria-label={`Review the emergency access by ${grant.displayName}`}>
          <ChoiceGroup legend="Outcome" error={tried && !outcome ? 'Choose an outcome.' : undefined} className="choices--inline">
            {OUTCOMES.map((o) => (
              <Choice key={o.code} type="radio" name={`outcome-${grant.id}`} value={o.code} checked={outcome === o.code} onChange={() => setOutcome(o.code)} label={o.label} hint={o.hint} />
            ))}
          </ChoiceGroup>
          <TextArea label="Note" hint="What you checked and decided. Kept with the review." rows={2} maxLength={4000} value={note} onChange={(e) => setNote(e.target.value)} />
          {review.error ? <ErrorNotice error={review.error} title="The outcome was not recorded" /> : null}
          <div className="form-actions">
            <button type="submit" className="btn btn--primary" disabled={review.pending}>
              {review.pending ? 'Recording…' : 'Record outcome'}
            </button>
          </div>
        </form>
      )}
    </article>
  );
}
