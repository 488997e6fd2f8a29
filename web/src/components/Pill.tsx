import type { ReactNode } from 'react';

export type PillTone = 'ok' | 'warn' | 'bad' | 'unknown' | 'info' | 'glass';

/** A short state in words, with colour as a second channel only. */
export function Pill({ tone, children, testId }: { tone: PillTone; children: ReactNode; testId?: string }) {
  return (
    <span className={`pill pill--${tone}`} data-testid={testId}>
      <span className="pill__dot" aria-hidden="true" />
      {children}
    </span>
  );
}

export function OutcomePill({ outcome }: { outcome: string }) {
  const tone: PillTone = outcome === 'success' ? 'ok' : outcome === 'denied' ? 'warn' : outcome === 'error' ? 'bad' : 'unknown';
  const label = outcome === 'success' ? 'Success' : outcome === 'denied' ? 'Denied' : outcome === 'error' ? 'Error' : outcome;
  return <Pill tone={tone}>{label}</Pill>;
}
