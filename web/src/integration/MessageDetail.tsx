import { useEffect, useRef, useState, type ReactNode } from 'react';
import { Link, useLocation, useParams } from 'react-router';
import { api } from '../api/client.ts';
import { ErrorNotice, Loading } from '../components/ErrorNotice.tsx';
import { Page } from '../components/Page.tsx';
import { RefusalNotice } from '../components/RefusalNotice.tsx';
import { useApi, useMutation } from '../hooks/use-api.ts';
import { useSession } from '../session/session.tsx';
import { MessageTimeline } from './MessageTimeline.tsx';
import { RevealPanel } from './RevealPanel.tsx';
import { SegmentList } from './SegmentList.tsx';
import { StatePill } from './StatePill.tsx';
import { stamp } from './time.ts';
import type { MessageDetail as Detail, MessageSummary, ReprocessResult } from './types.ts';
import { bytesText, reasonWords, reprocessSummary, stateWords } from './words.ts';

// After a reprocess or a correction the message waits a moment for a worker. Each read of a message is audited, so
// the page looks again only a few times rather than polling for as long as it is open.
const FOLLOW_MS = 1_000;
const FOLLOW_TIMES = 10;

/** Keyed by id: moving from a message to its copy starts afresh, so revealed content never carries over. */
export function MessageDetailRoute() {
  const { id = '' } = useParams();
  return <MessageDetail key={id} id={id} />;
}

function MessageDetail({ id }: { id: string }) {
  const { may } = useSession();
  const location = useLocation();
  const correctedFrom = (location.state as { correctedFrom?: string } | null)?.correctedFrom;
  const loaded = useApi<Detail>(`/api/gateway/messages/${encodeURIComponent(id)}`);
  const detail = loaded.data;
  const [follow, setFollow] = useState(correctedFrom ? FOLLOW_TIMES : 0);
  const { reload } = loaded;
  const waiting = detail?.message.state === 'received';
  useEffect(() => {
    if (follow <= 0 || !waiting || loaded.state !== 'ok') return;
    const timer = window.setTimeout(() => {
      setFollow((n) => n - 1);
      reload();
    }, FOLLOW_MS);
    return () => window.clearTimeout(timer);
  }, [follow, waiting, loaded.state, reload]);

  const m = detail?.message;
  const queued = () => {
    setFollow(FOLLOW_TIMES);
    reload();
  };
  return (
    <Page title={m ? `Message ${m.controlId ?? 'without a control id'}` : 'Message'} lead={m ? leadOf(m) : undefined} actions={<Link to="/integration/messages">Back to messages</Link>}>
      {loaded.state === 'error' ? <ErrorNotice error={loaded.error} title="The message could not be loaded" /> : null}
      {!detail && loaded.state === 'loading' ? <Loading what="the message" /> : null}
      {detail && m ? (
        <>
          {correctedFrom ? (
            <div className="notice notice--ok" role="status">
              <p>Corrected copy stored. The original is kept unchanged and points here.</p>
            </div>
          ) : null}
          <WhyHere message={m} />
          <Relations message={m} />
          {may('message.reprocess') ? <ReprocessAction message={m} onQueued={queued} /> : null}
          <Summary message={m} />
          <section className="panel" aria-labelledby="timeline-title">
            <h2 id="timeline-title" className="panel__title">
              Timeline
            </h2>
            <MessageTimeline steps={detail.timeline} />
          </section>
          <section className="panel" aria-labelledby="structure-title">
            <h2 id="structure-title" className="panel__title">
              Structure (values hidden)
            </h2>
            <p className="muted structure__legend">
              <code>▒12</code> stands for a value of 12 characters. The MSH header is shown as sent up to MSH-12: it routes the message and names no patient.
            </p>
            <SegmentList segments={detail.masked} label="Message structure, one segment per line, values hidden" testId="masked-structure" />
          </section>
          {may('message.reveal') ? <RevealPanel message={m} canCorrect={may('message.reprocess')} /> : null}
        </>
      ) : null}
    </Page>
  );
}

function leadOf(m: MessageSummary): string {
  return `${m.type ?? 'Unknown type'} from ${m.source?.name ?? 'an unregistered sender'}, received ${stamp(m.receivedAt)}`;
}

/** The state in words, and for a message that needs someone, why it is here and what to do. */
function WhyHere({ message: m }: { message: MessageSummary }) {
  const state = stateWords(m.state);
  const reason = reasonWords(m.reasonCode);
  const tone = state.tone === 'bad' ? 'error' : state.tone === 'warn' ? 'warn' : state.tone === 'ok' ? 'ok' : 'info';
  return (
    <div className={`notice notice--${tone} why`} data-testid="why-here" data-state={m.state} data-reason={m.reasonCode ?? ''}>
      <p className="why__head">
        <StatePill state={m.state} />
        <span>{state.means}</span>
      </p>
      {reason ? (
        <>
          <p>
            <strong>Why:</strong> {reason.long || reason.short}
          </p>
          {m.reason && reason.serverAdds ? <p className="why__server">Vigil’s explanation: {m.reason}</p> : null}
        </>
      ) : null}
    </div>
  );
}

function Relations({ message: m }: { message: MessageSummary }) {
  if (!m.corrects && !m.correctedBy) return null;
  return (
    <nav className="link-row relations" aria-label="Original and corrected copy" data-testid="relations">
      {m.corrects ? (
        <span>
          This is a corrected copy. <Link to={`/integration/messages/${m.corrects}`}>Open the original</Link>
        </span>
      ) : null}
      {m.correctedBy ? (
        <span>
          A corrected copy replaced this message. <Link to={`/integration/messages/${m.correctedBy}`}>Open the corrected copy</Link>
        </span>
      ) : null}
    </nav>
  );
}

function Summary({ message: m }: { message: MessageSummary }) {
  const facts: [string, ReactNode][] = [
    ['Received', <time dateTime={m.receivedAt}>{stamp(m.receivedAt)}</time>],
    ['Source', m.source ? m.source.name : 'Unregistered sender'],
    ['Type', <span className="mono">{m.type ?? '—'}</span>],
    ['Control id (MSH-10)', <span className="mono">{m.controlId ?? '—'}</span>],
    ['Arrived by', m.transport === 'mllp' ? 'MLLP' : m.transport === 'operator' ? 'Operator (corrected copy)' : m.transport.toUpperCase()],
    ['ACK sent', m.ackCode ?? '—'],
    ['Attempts', String(m.attempts)],
    ['Processed', m.processedAt ? stamp(m.processedAt) : '—'],
    ['Patients in it', String(m.patients)],
    ['Size', bytesText(m.sizeBytes)],
  ];
  return (
    <section className="panel" aria-labelledby="summary-title">
      <h2 id="summary-title" className="panel__title">
        Summary
      </h2>
      <dl className="facts facts--columns summary" data-testid="message-summary">
        {facts.map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
        <div className="summary__id">
          <dt>Message id</dt>
          <dd className="mono">{m.id}</dd>
        </div>
      </dl>
    </section>
  );
}

function ReprocessAction({ message: m, onQueued }: { message: MessageSummary; onQueued: () => void }) {
  const [answer, setAnswer] = useState<string>();
  const answerRef = useRef<HTMLDivElement>(null);
  const reprocess = useMutation(() => api<ReprocessResult>(`/api/gateway/messages/${m.id}/reprocess`, { method: 'POST' }));
  const whyNot = m.state === 'received' ? 'It is already waiting for a worker.' : m.correctedBy ? 'A corrected copy replaced it: reprocess the copy instead.' : undefined;
  useEffect(() => {
    if (answer) answerRef.current?.focus();
  }, [answer]);

  async function go() {
    setAnswer(undefined);
    const result = await reprocess.mutate();
    if (!result) return;
    setAnswer(reprocessSummary(result));
    if (result.queued.length > 0) onQueued();
  }

  const note = whyNot ?? (m.source ? undefined : 'The sender is not registered. Register it under Sources first; reprocessing then recognises it from the message’s own MSH-3 and MSH-4.');
  return (
    <section className="panel action" aria-labelledby="reprocess-title" data-testid="reprocess">
      <div className="action__text">
        <h2 id="reprocess-title" className="panel__title">
          Reprocess
        </h2>
        <p className="action__what">Work the message again with its source’s current profile. What it already added to a record is not added twice.</p>
        {note ? <p className="action__note">{note}</p> : null}
      </div>
      <div className="action__do">
        <button type="button" className="btn btn--primary" disabled={whyNot !== undefined || reprocess.pending} onClick={() => void go()}>
          {reprocess.pending ? 'Reprocessing…' : 'Reprocess'}
        </button>
      </div>
      {answer ? (
        <div className="notice notice--ok" role="status" tabIndex={-1} ref={answerRef} data-testid="reprocess-answer">
          <p>{answer}</p>
        </div>
      ) : null}
      {reprocess.error ? <RefusalNotice error={reprocess.error} failedTitle="The message was not reprocessed" /> : null}
    </section>
  );
}
