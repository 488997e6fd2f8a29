import { useLayoutEffect, useRef, useState, type FormEvent } from 'react';
import { api, ApiError } from '../../api/client.ts';
import type { BreakGlassGrant, BreakGlassReasons } from '../../api/types.ts';
import { ErrorNotice, Loading } from '../../components/ErrorNotice.tsx';
import { Choice, ChoiceGroup, SelectField, TextArea, TextField } from '../../components/Field.tsx';
import { useApi } from '../../hooks/use-api.ts';

export type BreakGlassTarget = { patientId: string; identifier?: undefined } | { identifier: string; patientId?: undefined };

const MIN_TEXT = 10;

/**
 * Emergency access to one record: a coded reason, an explanation, how long, and a fresh code from the authenticator.
 * A native modal <dialog> keeps focus inside and closes on Escape. The server checks all of it again.
 */
export function BreakGlassDialog({ target, onClose, onGranted }: { target: BreakGlassTarget; onClose: () => void; onGranted: (grant: BreakGlassGrant) => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const reasons = useApi<BreakGlassReasons>('/api/break-glass/reasons');
  const [reasonCode, setReasonCode] = useState('');
  const [reasonText, setReasonText] = useState('');
  const [minutes, setMinutes] = useState<number | undefined>();
  const [totp, setTotp] = useState('');
  const [tried, setTried] = useState(false);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError>();

  // Modal while open; on close, focus goes back to whatever opened it (the dialog leaves the page as it closes, so the
  // browser's own restoration cannot be relied on).
  useLayoutEffect(() => {
    const d = dialog.current;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (d && !d.open) d.showModal();
    return () => {
      d?.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);

  const maxMinutes = reasons.data?.maxMinutes ?? 60;
  const durations = [...new Set([15, 30, maxMinutes].filter((m) => m <= maxMinutes))].sort((a, b) => a - b);
  const chosenMinutes = minutes ?? maxMinutes;
  const textLeft = MIN_TEXT - reasonText.trim().length;
  const problems = {
    reason: reasonCode ? undefined : 'Choose the reason that fits best.',
    text: textLeft > 0 ? `Explain the emergency in at least ${MIN_TEXT} characters (${textLeft} more).` : undefined,
    totp: /^\d{6}$/.test(totp) ? undefined : 'Enter the six digits your authenticator shows now.',
  };
  const mfaWrong = error?.code === 'mfa-invalid';

  async function submit(event: FormEvent) {
    event.preventDefault();
    setTried(true);
    if (pending || problems.reason || problems.text || problems.totp) return;
    setPending(true);
    setError(undefined);
    try {
      const grant = await api<BreakGlassGrant>('/api/break-glass', {
        method: 'POST',
        body: { ...(target.patientId ? { patientId: target.patientId } : { identifier: target.identifier }), reasonCode, reasonText: reasonText.trim(), totp, minutes: chosenMinutes },
      });
      onGranted(grant);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, 'client', 'Break-glass failed. Try again.', null));
      setTotp('');
    } finally {
      setPending(false);
    }
  }

  return (
    <dialog ref={dialog} className="dialog dialog--danger" aria-labelledby="bg-title" aria-describedby="bg-warning" onCancel={onClose} data-testid="break-glass-dialog">
      <form onSubmit={(e) => void submit(e)} noValidate>
        <header className="dialog__header">
          <h2 id="bg-title" className="dialog__title">
            Break the glass
          </h2>
          <p className="dialog__subtitle">{target.patientId ? 'Emergency access to the record you tried to open' : `Emergency access to the patient with MRN ${target.identifier}`}</p>
        </header>
        <div className="warning" id="bg-warning">
          <p className="warning__title">This access is recorded and reviewed</p>
          <p>
            Use it only when this patient’s care needs it now. Your name, your reason and every view of the record while access is open are recorded,
            flagged as emergency access and reviewed by a privacy officer.
          </p>
        </div>

        {reasons.state === 'error' ? <ErrorNotice error={reasons.error} title="The reasons could not be loaded" /> : null}
        {!reasons.data && reasons.state === 'loading' ? <Loading what="reasons" /> : null}
        {reasons.data ? (
          <ChoiceGroup legend="Reason" error={tried ? problems.reason : undefined} className="choices--grid">
            {reasons.data.reasons.map((r) => (
              <Choice key={r.code} type="radio" name="reasonCode" value={r.code} checked={reasonCode === r.code} onChange={() => setReasonCode(r.code)} label={r.display} />
            ))}
          </ChoiceGroup>
        ) : null}

        <TextArea
          label="What is the emergency?"
          hint="Say why you need this record now. The privacy officer reads this."
          rows={2}
          maxLength={2000}
          value={reasonText}
          onChange={(e) => setReasonText(e.target.value)}
          error={tried ? problems.text : undefined}
        />

        <div className="dialog__row">
          <SelectField label="For how long" value={String(chosenMinutes)} onChange={(e) => setMinutes(Number(e.target.value))} hint={`At most ${maxMinutes} min; you can end it sooner.`}>
            {durations.map((m) => (
              <option key={m} value={m}>
                {m} minutes
              </option>
            ))}
          </SelectField>
          <TextField
            label="Authenticator code"
            inputMode="numeric"
            autoComplete="one-time-code"
            maxLength={6}
            value={totp}
            onChange={(e) => setTotp(e.target.value.replace(/\D/g, ''))}
            hint="A fresh six-digit code confirms it is you."
            error={mfaWrong ? 'That code did not work (wrong, or already used). Wait for the next code and enter it.' : tried ? problems.totp : undefined}
            className="field--code"
          />
        </div>

        {error && !mfaWrong ? <ErrorNotice error={error} title="Emergency access was not opened" /> : null}

        <div className="dialog__actions">
          <button type="button" className="btn btn--quiet" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn--danger" disabled={pending}>
            {pending ? 'Opening…' : `Open the record for ${chosenMinutes} minutes`}
          </button>
        </div>
      </form>
    </dialog>
  );
}
