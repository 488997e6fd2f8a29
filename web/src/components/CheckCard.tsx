import type { ReactNode } from 'react';
import type { Verdict } from '../status/verdicts.ts';
import { StatusPill } from './StatusPill.tsx';

interface CheckCardProps {
  testId: string;
  title: string;
  verdict: Verdict;
  stale: boolean;
  /** Spans the whole row, for a card whose table needs the width. */
  wide?: boolean;
  children?: ReactNode;
}

export function CheckCard({ testId, title, verdict, stale, wide = false, children }: CheckCardProps) {
  return (
    <section className={['check', stale && 'check--stale', wide && 'check--wide'].filter(Boolean).join(' ')} data-testid={testId} data-state={verdict.state} aria-label={title}>
      <header className="check__header">
        <h3 className="check__title">{title}</h3>
        <StatusPill tone={verdict.tone} label={verdict.label} />
      </header>
      <p className="check__detail">{verdict.detail}</p>
      {children}
    </section>
  );
}
