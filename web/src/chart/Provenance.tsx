import { useEffect, useId, useRef, useState, type FocusEvent, type KeyboardEvent } from 'react';
import { since, zonedTime } from './time.ts';
import type { ProvenanceSummary } from './types.ts';
import { derivationWords, qualityFlagText } from './words.ts';

/**
 * Where one fact came from and how far to trust it, behind the source's name. It opens on hover, on keyboard focus,
 * and on a tap or click (which keeps it open until a second tap, Escape, or a tap elsewhere), because a clinician on
 * a ward tablet has no hover and one at a desk has no time to click. It is a disclosure (a button that controls the
 * panel after it), so the version-history button inside is the next stop for Tab and screen readers.
 */
export interface FactVersion {
  number: number;
  lastUpdated: string;
}

type OpenedBy = 'hover' | 'focus' | 'click';

export function Provenance({ provenance, subject, version, onHistory }: { provenance: ProvenanceSummary | null; subject: string; version?: FactVersion; onHistory?: () => void }) {
  const id = useId();
  const wrapper = useRef<HTMLSpanElement>(null);
  const trigger = useRef<HTMLButtonElement>(null);
  const [openedBy, setOpenedBy] = useState<OpenedBy | null>(null);
  // After Escape, focus goes back to the button, which would open the panel again: this close wins until focus leaves.
  const suppressFocus = useRef(false);
  const open = openedBy !== null;

  // A panel kept open by a tap closes when the next tap lands anywhere else.
  useEffect(() => {
    if (openedBy !== 'click') return;
    const away = (event: PointerEvent) => {
      if (!wrapper.current?.contains(event.target as Node)) setOpenedBy(null);
    };
    document.addEventListener('pointerdown', away);
    return () => document.removeEventListener('pointerdown', away);
  }, [openedBy]);

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== 'Escape' || !open) return;
    event.stopPropagation();
    setOpenedBy(null);
    suppressFocus.current = true;
    trigger.current?.focus({ preventScroll: true });
  };
  const onBlur = (event: FocusEvent) => {
    if (wrapper.current?.contains(event.relatedTarget as Node | null)) return;
    suppressFocus.current = false;
    setOpenedBy((by) => (by === 'hover' ? by : null));
  };

  const source = provenance?.sourceName ?? (provenance ? 'Unknown source' : 'Vigil directory');
  const derivation = provenance ? derivationWords(provenance.derivation) : derivationWords('entered');
  return (
    <span
      className={open ? 'prov prov--open' : 'prov'}
      ref={wrapper}
      onMouseEnter={() => setOpenedBy((by) => by ?? 'hover')}
      onMouseLeave={() => setOpenedBy((by) => (by === 'hover' ? null : by))}
      onKeyDown={onKeyDown}
      onBlur={onBlur}
      data-testid="provenance"
    >
      <button
        type="button"
        ref={trigger}
        className="prov__trigger"
        aria-expanded={open}
        aria-controls={id}
        onFocus={() => {
          if (!suppressFocus.current) setOpenedBy((by) => by ?? 'focus');
        }}
        onClick={() => setOpenedBy((by) => (by === 'click' ? null : 'click'))}
      >
        <span className="prov__source">{source}</span>
        {provenance && provenance.derivation !== 'asserted' ? <span className="prov__derivation">{derivation.short}</span> : null}
        <span className="visually-hidden">, source and history of {subject}</span>
      </button>
      <span className="prov__pop" id={id} role="group" aria-label={`Source of ${subject}`} hidden={!open}>
        <span className="prov__title">Where this came from</span>
        <dl className="prov__facts">
          <div>
            <dt>Source</dt>
            <dd>{provenance ? source : 'Entered in Vigil’s directory, not received from a source'}</dd>
          </div>
          <div>
            <dt>How</dt>
            <dd className={provenance?.derivation === 'inferred' ? 'prov__inferred' : undefined}>{derivation.long}</dd>
          </div>
          {provenance ? (
            <>
              <div>
                <dt>Confidence</dt>
                <dd>{confidenceText(provenance.confidence)}</dd>
              </div>
              <div>
                <dt>Source time</dt>
                <dd>{provenance.sourceTime ? zonedTime(provenance.sourceTime) : 'The source gave no time'}</dd>
              </div>
              <div>
                <dt>Received</dt>
                <dd>{zonedTime(provenance.receivedAt)}</dd>
              </div>
              <div>
                <dt>Transform</dt>
                <dd className="mono">{provenance.transform ?? '—'}</dd>
              </div>
              <div>
                <dt>Quality</dt>
                <dd>
                  {provenance.flags.length === 0 ? (
                    'Nothing noticed while reading it'
                  ) : (
                    <ul className="prov__flags">
                      {provenance.flags.map((f, i) => (
                        <li key={`${f.code}-${i}`}>
                          {qualityFlagText(f.code)}
                          {f.at ? <span className="prov__at"> (at {f.at})</span> : null}
                        </li>
                      ))}
                    </ul>
                  )}
                </dd>
              </div>
              {provenance.lastConfirmedAt ? (
                <div>
                  <dt>Last confirmed</dt>
                  <dd>
                    {zonedTime(provenance.lastConfirmedAt)} <span className="muted">({since(provenance.lastConfirmedAt)})</span>
                  </dd>
                </div>
              ) : null}
            </>
          ) : null}
          {version ? (
            <div>
              <dt>Changes</dt>
              <dd>
                {version.number === 1 ? 'Not changed since it was received' : 'Updated after it was first received'}; last changed {zonedTime(version.lastUpdated)}
              </dd>
            </div>
          ) : null}
        </dl>
        {onHistory ? (
          <button type="button" className="btn btn--quiet btn--small prov__history" onClick={onHistory}>
            Version history…
          </button>
        ) : null}
      </span>
    </span>
  );
}

export function confidenceText(confidence: number): string {
  const percent = `${Math.round(confidence * 100)}\u00a0%`;
  if (confidence >= 1) return `${percent}: the source said it plainly`;
  if (confidence >= 0.9) return `${percent}: slightly lowered, a transform made a small assumption`;
  if (confidence >= 0.7) return `${percent}: lowered, a transform had to interpret the source`;
  return `${percent}: low, a transform had to guess; check the source`;
}
