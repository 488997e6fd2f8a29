import { Pill } from '../components/Pill.tsx';
import { statusWords } from './words.ts';

/** A status in words: plain for the expected state (final, active), a pill with its word for anything to notice. */
export function StatusText({ kind, status }: { kind: string; status: string }) {
  const words = statusWords(kind, status);
  return (
    <span className="status" data-status={status}>
      {words.tone === 'none' ? words.label : <Pill tone={words.tone}>{words.label}</Pill>}
    </span>
  );
}
