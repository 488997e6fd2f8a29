import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api } from '../api/client.ts';
import { TextArea } from '../components/Field.tsx';
import { RefusalNotice } from '../components/RefusalNotice.tsx';
import { useMutation } from '../hooks/use-api.ts';
import { CorrectionForm } from './CorrectionForm.tsx';
import { SegmentList, segmentsOf } from './SegmentList.tsx';
import { SubmitOrCancel } from './SubmitOrCancel.tsx';
import type { MessageSummary } from './types.ts';

const MIN_REASON = 10;
const MAX_REASON = 500;

export interface Revealed {
  reason: string;
  content: string;
}

/**
 * The raw content, only for a stated reason that the server records against each patient in the message. What was
 * revealed lives in this component's state alone (never the address, history or storage), so leaving the message or
 * pressing Hide drops it, and seeing it again is a new, audited reveal.
 */
export function RevealPanel({ message, canCorrect }: { message: MessageSummary; canCorrect: boolean }) {
  const [revealed, setRevealed] = useState<Revealed>();
  const [asking, setAsking] = useState(false);
  if (revealed) return <RevealedContent message={message} revealed={revealed} canCorrect={canCorrect} onHide={() => setRevealed(undefined)} />;
  return (
    <section className="panel" aria-labelledby="reveal-title" data-testid="reveal">
      <h2 id="reveal-title" className="panel__title">
        Content
      </h2>
      {asking ? (
        <RevealForm id={message.id} onRevealed={setRevealed} onCancel={() => setAsking(false)} />
      ) : (
        <div className="reveal__ask">
          <p className="muted">The values above are hidden. To read them, give your reason: it is recorded in the audit trail against every patient in this message.</p>
          <button type="button" className="btn btn--quiet" onClick={() => setAsking(true)}>
            Reveal content…
          </button>
        </div>
      )}
    </section>
  );
}

function RevealForm({ id, onRevealed, onCancel }: { id: string; onRevealed: (r: Revealed) => void; onCancel: () => void }) {
  const [reason, setReason] = useState('');
  const [tried, setTried] = useState(false);
  const reveal = useMutation((why: string) => api<{ content: string }>(`/api/gateway/messages/${id}/reveal`, { method: 'POST', body: { reason: why } }));
  const trimmed = reason.trim();
  const problem = trimmed.length < MIN_REASON ? `Say why in at least ${MIN_REASON} characters (a ticket number helps whoever reads the audit trail).` : undefined;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setTried(true);
    if (problem) return;
    const answer = await reveal.mutate(trimmed);
    if (answer) onRevealed({ reason: trimmed, content: answer.content });
  }

  return (
    <form className="form reveal__form" onSubmit={(e) => void submit(e)} noValidate aria-label="Reveal the content">
      <TextArea
        label="Why do you need to see the content?"
        hint={`At least ${MIN_REASON} characters. Recorded with your name in the audit trail, which privacy officers review.`}
        rows={2}
        maxLength={MAX_REASON}
        value={reason}
        onChange={(e) => setReason(e.target.value)}
        error={tried ? problem : undefined}
        autoFocus
      />
      {reveal.error ? <RefusalNotice error={reveal.error} failedTitle="The content was not revealed" /> : null}
      <SubmitOrCancel label="Reveal" pendingLabel="Revealing…" pending={reveal.pending} onCancel={onCancel} />
    </form>
  );
}

function RevealedContent({ message, revealed, canCorrect, onHide }: { message: MessageSummary; revealed: Revealed; canCorrect: boolean; onHide: () => void }) {
  const banner = useRef<HTMLDivElement>(null);
  const [correcting, setCorrecting] = useState(false);
  useEffect(() => banner.current?.focus(), []);
  const whyNot = message.correctedBy ? 'This message already has a corrected copy: open the copy and correct that one.' : message.source ? undefined : 'The sender is not registered: register the source first, because a corrected copy is worked with its source’s profile.';

  return (
    <section className="panel revealed" aria-labelledby="revealed-title" data-testid="revealed">
      <div className="revealed__banner" role="status" tabIndex={-1} ref={banner} data-testid="revealed-banner">
        <p>
          <strong>Revealed for:</strong> <span className="revealed__reason">{revealed.reason}</span> — this view is audited
        </p>
      </div>
      <div className="section-head">
        <h2 id="revealed-title" className="panel__title">
          Content as received
        </h2>
        <button type="button" className="btn btn--quiet btn--small" onClick={onHide}>
          Hide content
        </button>
      </div>
      <SegmentList segments={segmentsOf(revealed.content)} label="Message content, one segment per line" testId="raw-content" />
      {canCorrect ? (
        correcting ? (
          <CorrectionForm id={message.id} content={revealed.content} onCancel={() => setCorrecting(false)} />
        ) : (
          <div className="revealed__correct">
            <button type="button" className="btn btn--quiet" disabled={whyNot !== undefined} onClick={() => setCorrecting(true)}>
              Submit corrected copy…
            </button>
            {whyNot ? <p className="muted">{whyNot}</p> : <p className="muted">Edit a copy of this content and send it to be worked; the original is kept unchanged.</p>}
          </div>
        )
      ) : null}
    </section>
  );
}
