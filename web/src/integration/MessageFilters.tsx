import { useEffect, useState, type FormEvent } from 'react';
import { query } from '../api/client.ts';
import { SelectField, TextField } from '../components/Field.tsx';
import { useApi } from '../hooks/use-api.ts';
import { useSession } from '../session/session.tsx';
import { localInputToIso } from '../text/time.ts';
import { MESSAGE_STATES, type GatewaySource } from './types.ts';
import { STATE_WORDS } from './words.ts';

export interface MessageFilter {
  state: string;
  source: string;
  type: string;
  from: string;
  to: string;
}

/** The server's own pattern for `type` (ADT or ADT^A01). */
export const TYPE_PATTERN = /^[A-Z0-9]{2,3}(\^[A-Z0-9]{2,3})?$/;

export function filterFrom(params: URLSearchParams): MessageFilter {
  return { state: params.get('state') ?? '', source: params.get('source') ?? '', type: params.get('type') ?? '', from: params.get('from') ?? '', to: params.get('to') ?? '' };
}

/** The filter as address parameters (local wall times, as the form shows them). */
export function filterParams(f: MessageFilter): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(f)) if (v.trim()) out[k] = v.trim();
  return out;
}

/** The filter as the API's query (times as instants). */
export function filterQuery(f: MessageFilter, extra: Record<string, string | number | undefined>): string {
  return query({ state: f.state, source: f.source.trim(), type: f.type.trim(), from: localInputToIso(f.from), to: localInputToIso(f.to), ...extra });
}

export function MessageFilters({ applied, onApply }: { applied: MessageFilter; onApply: (f: MessageFilter) => void }) {
  const { may } = useSession();
  const sources = useApi<{ sources: GatewaySource[] }>(may('feed.read') ? '/api/gateway/sources' : null);
  const [form, setForm] = useState(applied);
  const appliedKey = JSON.stringify(applied);
  useEffect(() => setForm(JSON.parse(appliedKey) as MessageFilter), [appliedKey]);
  const set = (key: keyof MessageFilter, value: string) => setForm((f) => ({ ...f, [key]: value }));
  const typeInvalid = form.type.trim() !== '' && !TYPE_PATTERN.test(form.type.trim());
  const names = sources.data?.sources.map((s) => s.name) ?? [];
  // A source named in the address but not (or no longer) registered still shows as chosen.
  if (form.source && form.source !== 'unregistered' && !names.includes(form.source)) names.push(form.source);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!typeInvalid) onApply(form);
  }

  return (
    <form className="panel filters" onSubmit={submit} aria-label="Message filters">
      <div className="filters__grid message-filters">
        <SelectField label="State" value={form.state} onChange={(e) => set('state', e.target.value)}>
          <option value="">Any state</option>
          {MESSAGE_STATES.map((s) => (
            <option key={s} value={s}>
              {STATE_WORDS[s].label}
            </option>
          ))}
        </SelectField>
        <SelectField label="Source" value={form.source} onChange={(e) => set('source', e.target.value)}>
          <option value="">Any source</option>
          {names.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
          <option value="unregistered">Unregistered senders</option>
        </SelectField>
        <TextField
          label="Type"
          value={form.type}
          onChange={(e) => set('type', e.target.value.toUpperCase())}
          placeholder="ADT^A08"
          spellCheck={false}
          autoCapitalize="characters"
          error={typeInvalid ? 'A message type (ADT) or type and event (ADT^A08).' : undefined}
        />
        <TextField label="Received from" type="datetime-local" value={form.from} onChange={(e) => set('from', e.target.value)} />
        <TextField label="Received before" type="datetime-local" value={form.to} onChange={(e) => set('to', e.target.value)} />
      </div>
      <div className="filters__footer">
        <p className="muted">Newest first. Each search is recorded in the audit trail.</p>
        <div className="form-actions">
          <button type="button" className="btn btn--quiet" onClick={() => onApply({ state: '', source: '', type: '', from: '', to: '' })}>
            Clear
          </button>
          <button type="submit" className="btn btn--primary">
            Show messages
          </button>
        </div>
      </div>
    </form>
  );
}
