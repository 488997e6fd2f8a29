import type { Tone } from '../status/verdicts.ts';

/** The dot is decoration; the label carries the meaning for screen readers and colour-blind readers alike. */
export function StatusPill({ tone, label }: { tone: Tone; label: string }) {
  return (
    <span className={`pill pill--${tone}`}>
      <span className="pill__dot" aria-hidden="true" />
      {label}
    </span>
  );
}
