/**
 * The probabilistic matching engine of the master patient index: pure functions over records, no I/O. A store keeps
 * `comparableRecord(r)` and its `blockingKeys` beside each patient record; a new record is scored with `scorePair`
 * against the records that share a key; `dedupe` does the same for a batch held in memory.
 */
export { comparableRecord, type ComparableRecord, type MatchRecord } from './comparable.ts';
export { blockingKeys } from './blocking.ts';
export { scorePair, type FieldEvidence, type MatchConflict, type MatchOutcome, type PairScore } from './match.ts';
export { DEFAULT_MATCH_MODEL, type MatchModel, type Probabilities } from './weights.ts';
export { FIELD_LEVELS, FIELDS, type FieldLevel, type FieldName } from './fields.ts';
export { dedupe, dedupeComparable, type DedupeOptions, type DedupeResult } from './dedupe.ts';
export { MatchIndex, type Candidate } from './match-index.ts';
