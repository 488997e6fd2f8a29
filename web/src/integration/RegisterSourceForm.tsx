import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { api, query } from '../api/client.ts';
import { TextArea, TextField } from '../components/Field.tsx';
import { RefusalNotice } from '../components/RefusalNotice.tsx';
import { useMutation } from '../hooks/use-api.ts';
import type { GatewaySource } from './types.ts';

const NAME = /^[A-Za-z0-9._-]{1,64}$/;
const EMPTY = { name: '', msh3: '', msh4: '', peers: '', profile: '' };

/** What is wrong with the profile text, or the parsed object; the server checks every field of it again. */
function readProfile(text: string): { error: string } | { value: Record<string, unknown> | undefined } {
  if (!text.trim()) return { value: undefined };
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return { error: 'The profile must be a JSON object: { … }.' };
    return { value: value as Record<string, unknown> };
  } catch {
    return { error: 'This is not valid JSON. Check quotes, commas and braces.' };
  }
}

export function RegisterSourceForm({ onRegistered }: { onRegistered: () => void }) {
  const [form, setForm] = useState(EMPTY);
  const [tried, setTried] = useState(false);
  const [registered, setRegistered] = useState<GatewaySource>();
  const register = useMutation((body: Record<string, unknown>) => api<GatewaySource>('/api/gateway/sources', { method: 'POST', body }));
  const set = (key: keyof typeof EMPTY, value: string) => setForm((f) => ({ ...f, [key]: value }));
  const peers = form.peers.split(/[\s,]+/).filter(Boolean);
  const profile = readProfile(form.profile);
  const problems = {
    name: NAME.test(form.name.trim()) ? undefined : '1 to 64 letters, digits, dot, dash or underscore, e.g. north-adt.',
    msh3: form.msh3.trim() ? undefined : 'The sending application the sender puts in MSH-3.',
    msh4: form.msh4.trim() ? undefined : 'The sending facility the sender puts in MSH-4.',
    profile: 'error' in profile ? profile.error : undefined,
  };

  async function submit(event: FormEvent) {
    event.preventDefault();
    setTried(true);
    setRegistered(undefined);
    if (problems.name || problems.msh3 || problems.msh4 || 'error' in profile) return;
    const source = await register.mutate({
      name: form.name.trim(),
      kind: 'hl7v2',
      msh3: form.msh3.trim(),
      msh4: form.msh4.trim(),
      ...(peers.length > 0 ? { peers } : {}),
      ...(profile.value ? { profile: profile.value } : {}),
    });
    if (!source) return;
    setRegistered(source);
    setForm(EMPTY);
    setTried(false);
    onRegistered();
  }

  return (
    <section className="panel" aria-labelledby="register-title">
      <h2 id="register-title" className="panel__title">
        Register an HL7 v2 source
      </h2>
      <form className="form" onSubmit={(e) => void submit(e)} noValidate aria-label="Register an HL7 v2 source">
        <TextField label="Name" value={form.name} onChange={(e) => set('name', e.target.value)} spellCheck={false} autoCapitalize="none" hint="How Vigil names this feed, e.g. north-adt. It cannot be changed later." error={tried ? problems.name : undefined} />
        <div className="form__grid">
          <TextField label="MSH-3 sending application" value={form.msh3} onChange={(e) => set('msh3', e.target.value)} spellCheck={false} maxLength={180} error={tried ? problems.msh3 : undefined} />
          <TextField label="MSH-4 sending facility" value={form.msh4} onChange={(e) => set('msh4', e.target.value)} spellCheck={false} maxLength={180} error={tried ? problems.msh4 : undefined} />
        </div>
        <TextField label="Allowed addresses (optional)" value={form.peers} onChange={(e) => set('peers', e.target.value)} spellCheck={false} placeholder="10.0.4.12, 10.0.4.13" hint="IP addresses this sender connects from, separated by commas or spaces. Empty: any address." />
        <TextArea
          label="Profile (optional, JSON)"
          className="field--mono"
          rows={5}
          spellCheck={false}
          value={form.profile}
          onChange={(e) => set('profile', e.target.value)}
          placeholder={'{\n  "timeZone": "America/New_York",\n  "cadence": { "everyMinutes": 15 }\n}'}
          hint="Empty: the default profile. Fields: timeZone, identifiers, codeSystems, codeMaps, medications, unknownPatient, parkMinutes, cadence, facilityId."
          error={tried ? problems.profile : undefined}
        />
        {register.error ? <RefusalNotice error={register.error} failedTitle="The source was not registered" /> : null}
        {registered ? (
          <div className="notice notice--ok" role="status" data-testid="registered">
            <p>
              Registered <strong>{registered.name}</strong> (profile v{registered.profileVersion}). Messages it sent before now are still quarantined as
              unregistered: <Link to={`/integration/messages${query({ source: 'unregistered', state: 'quarantined' })}`}>reprocess them from the message list</Link>.
            </p>
          </div>
        ) : null}
        <div className="form-actions">
          <button type="submit" className="btn btn--primary" disabled={register.pending}>
            {register.pending ? 'Registering…' : 'Register source'}
          </button>
        </div>
      </form>
    </section>
  );
}
