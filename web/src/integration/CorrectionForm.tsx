import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { api } from '../api/client.ts';
import { TextArea } from '../components/Field.tsx';
import { RefusalNotice } from '../components/RefusalNotice.tsx';
import { useMutation } from '../hooks/use-api.ts';
import { segmentsOf } from './SegmentList.tsx';
import { SubmitOrCancel } from './SubmitOrCancel.tsx';

const MIN_CONTENT = 8;

/**
 * A corrected copy, started from the revealed content. A textarea turns HL7's CR segment separators into line breaks,
 * so the text is edited one segment per line and sent back with CR separators, as a sender would.
 */
export function CorrectionForm({ id, content, onCancel }: { id: string; content: string; onCancel: () => void }) {
  const navigate = useNavigate();
  const [text, setText] = useState(() => segmentsOf(content).join('\n'));
  const [tried, setTried] = useState(false);
  const correct = useMutation((body: string) => api<{ id: string }>(`/api/gateway/messages/${id}/correct`, { method: 'POST', body: { content: body } }));
  const segments = segmentsOf(text.trim());
  const problem = text.trim().length < MIN_CONTENT ? 'The copy is empty.' : !segments[0]?.startsWith('MSH') ? 'The first line must be the MSH segment.' : undefined;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setTried(true);
    if (problem) return;
    const copy = await correct.mutate(`${segments.join('\r')}\r`);
    // Only the ids travel in the history state; the content stays behind with this screen.
    if (copy) navigate(`/integration/messages/${copy.id}`, { state: { correctedFrom: id } });
  }

  return (
    <form className="form correction" onSubmit={(e) => void submit(e)} noValidate aria-label="Submit a corrected copy">
      <TextArea
        label="Corrected copy"
        hint="One segment per line. It is stored as a new message that points back to this one and is worked with the source’s current profile; this message stays as it was and is not worked again."
        className="correction__field"
        rows={Math.min(16, Math.max(6, segments.length + 1))}
        spellCheck={false}
        value={text}
        onChange={(e) => setText(e.target.value)}
        error={tried ? problem : undefined}
      />
      {correct.error ? <RefusalNotice error={correct.error} failedTitle="The corrected copy was not stored" /> : null}
      <SubmitOrCancel label="Submit corrected copy" pendingLabel="Submitting…" pending={correct.pending} onCancel={onCancel} />
    </form>
  );
}
