import { Pill } from '../components/Pill.tsx';
import { stateWords } from './words.ts';

/** A message state as a word on a coloured pill; `data-state` carries the code for tests and styles. */
export function StatePill({ state }: { state: string }) {
  const words = stateWords(state);
  return (
    <span className="state" data-state={state}>
      <Pill tone={words.tone}>{words.label}</Pill>
    </span>
  );
}
