import type { MatchEngine } from '../core/identity/match-engine.ts';

/** The probabilistic matcher the index uses; null runs deterministic rules only. */
export function defaultMatchEngine(): MatchEngine | null {
  return null;
}
