import type { PatientRecordInput } from '../../model/clinical.ts';

/**
 * The probabilistic half of the master patient index, behind an interface so the index can run deterministic rules
 * alone (tests, tiny installs) or with the Fellegi-Sunter matcher from `model/identity`.
 */
export interface MatchVerdict {
  weight: number;
  outcome: 'match' | 'possible' | 'no-match';
  evidence: unknown;
  conflict?: string;
}

export interface MatchEngine {
  /** Blocking keys: records sharing none are never compared. */
  blockingKeys(record: PatientRecordInput): string[];
  score(a: PatientRecordInput, b: PatientRecordInput): MatchVerdict;
}
