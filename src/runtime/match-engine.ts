import { isMatchableSystem } from '../core/identity/keys.ts';
import type { MatchEngine } from '../core/identity/match-engine.ts';
import type { PatientRecordInput } from '../model/clinical.ts';
import { blockingKeys, comparableRecord, scorePair, type MatchRecord } from '../model/identity/index.ts';

/**
 * The index's probabilistic matcher: Fellegi-Sunter scoring from `model/identity` (precision 0.9999 for automatic links
 * and F1 0.998 with review on the 50,000-record labelled set, bench/RESULTS.md). Identifiers Vigil could not place in
 * an authority's system are left out: they are no evidence either way.
 */
function matchRecord(record: PatientRecordInput): MatchRecord {
  return {
    id: '',
    identifiers: record.identifiers.filter((i) => isMatchableSystem(i.system)).map((i) => ({ system: i.system, value: i.value })),
    ...(record.family !== undefined ? { family: record.family } : {}),
    given: record.given,
    ...(record.birthDate !== undefined ? { birthDate: record.birthDate } : {}),
    ...(record.sex !== undefined ? { sex: record.sex } : {}),
    ...(record.phone !== undefined ? { phone: record.phone } : {}),
    ...(record.address ? { address: { ...(record.address.line ? { line: record.address.line } : {}), ...(record.address.city ? { city: record.address.city } : {}), ...(record.address.postalCode ? { postalCode: record.address.postalCode } : {}) } } : {}),
  };
}

export function defaultMatchEngine(): MatchEngine {
  return {
    blockingKeys: (record) => [...blockingKeys(comparableRecord(matchRecord(record)))],
    score: (a, b) => {
      const s = scorePair(comparableRecord(matchRecord(a)), comparableRecord(matchRecord(b)));
      return { weight: s.weight, outcome: s.outcome, evidence: s.evidence, ...(s.conflict ? { conflict: s.conflict } : {}) };
    },
  };
}
