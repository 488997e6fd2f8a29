import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { api, query } from '../api/client.ts';
import { SelectField, TextField } from '../components/Field.tsx';
import { RefusalNotice } from '../components/RefusalNotice.tsx';
import { useMutation } from '../hooks/use-api.ts';
import { isoToLocalInput, localInputToIso, shortDateTime } from '../text/time.ts';
import { plural } from '../text/words.ts';
import type { GatewaySource } from './types.ts';

interface Range {
  source: string;
  from: string;
  to: string;
}

/**
 * Replay: every message a source sent in [from, to) is worked again, typically after a profile fix. It can touch many
 * messages at once, so it asks for confirmation naming the source, the range and the profile version first. The form
 * keeps minutes only, so "until" starts a minute ahead: a message from this very minute is inside the range.
 */
export function ReplayForm({ sources }: { sources: GatewaySource[] }) {
  const [range, setRange] = useState<Range>(() => ({ source: sources[0]?.name ?? '', from: isoToLocalInput(new Date(Date.now() - 3_600_000)), to: isoToLocalInput(new Date(Date.now() + 60_000)) }));
  const [confirming, setConfirming] = useState<Range & { fromIso: string; toIso: string }>();
  const [done, setDone] = useState<{ range: Range; queued: number }>();
  const replay = useMutation((r: { source: string; from: string; to: string }) => api<{ queued: number }>(`/api/gateway/sources/${encodeURIComponent(r.source)}/replay`, { method: 'POST', body: { from: r.from, to: r.to } }));
  const set = (key: keyof Range, value: string) => {
    setConfirming(undefined);
    setRange((r) => ({ ...r, [key]: value }));
  };
  const fromIso = localInputToIso(range.from);
  const toIso = localInputToIso(range.to);
  const problem = !fromIso || !toIso ? 'Give both times.' : fromIso >= toIso ? '“Until” must be after “From”.' : undefined;
  const chosen = sources.find((s) => s.name === range.source);

  function ask(event: FormEvent) {
    event.preventDefault();
    setDone(undefined);
    replay.clearError();
    if (!problem && fromIso && toIso) setConfirming({ ...range, fromIso, toIso });
  }

  async function go() {
    if (!confirming) return;
    const answer = await replay.mutate({ source: confirming.source, from: confirming.fromIso, to: confirming.toIso });
    if (answer) setDone({ range: confirming, queued: answer.queued });
    setConfirming(undefined);
  }

  return (
    <section className="panel" aria-labelledby="replay-title" data-testid="replay">
      <h2 id="replay-title" className="panel__title">
        Replay a source
      </h2>
      <form className="form" onSubmit={ask} noValidate aria-label="Replay a source">
        <p className="muted">After fixing a source’s profile, work its messages from a time range again with the new profile.</p>
        <SelectField label="Source" value={range.source} onChange={(e) => set('source', e.target.value)}>
          {sources.map((s) => (
            <option key={s.id} value={s.name}>
              {s.name} (profile v{s.profileVersion})
            </option>
          ))}
        </SelectField>
        <div className="form__grid">
          <TextField label="From" type="datetime-local" value={range.from} onChange={(e) => set('from', e.target.value)} />
          <TextField label="Until" type="datetime-local" value={range.to} onChange={(e) => set('to', e.target.value)} error={problem && range.from && range.to ? problem : undefined} />
        </div>
        {!confirming ? (
          <div className="form-actions">
            <button type="submit" className="btn btn--quiet" disabled={problem !== undefined || replay.pending}>
              Replay…
            </button>
          </div>
        ) : (
          <div className="confirm" role="group" aria-label="Confirm: replay a source">
            <p>
              Work again every message <strong>{confirming.source}</strong> sent from {shortDateTime(confirming.fromIso)} until {shortDateTime(confirming.toIso)}, with profile v{chosen?.profileVersion ?? '?'}? Processed,
              parked, retrying, dead-letter and quarantined messages all go back to the inbox; what they already added to a record is not added twice. Messages replaced by a corrected copy are left alone.
            </p>
            <div className="form-actions">
              <button type="button" className="btn btn--primary" disabled={replay.pending} onClick={() => void go()}>
                {replay.pending ? 'Replaying…' : 'Replay now'}
              </button>
              <button type="button" className="btn btn--quiet" onClick={() => setConfirming(undefined)}>
                Cancel
              </button>
            </div>
          </div>
        )}
      </form>
      {done ? (
        <div className="notice notice--ok" role="status" data-testid="replay-answer">
          <p>
            {done.queued === 0 ? `No message from ${done.range.source} in that range could be replayed.` : `Queued ${plural(done.queued, 'message')} from ${done.range.source} to be worked again.`}{' '}
            <Link to={`/integration/messages${query({ source: done.range.source, from: done.range.from, to: done.range.to })}`}>See them</Link>
          </p>
        </div>
      ) : null}
      {replay.error ? <RefusalNotice error={replay.error} failedTitle="Nothing was replayed" /> : null}
    </section>
  );
}
