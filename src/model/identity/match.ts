import type { ComparableRecord } from './comparable.ts';
import { compareBirthDate, compareContact, compareFamily, compareGiven, compareSex } from './compare.ts';
import { FIELD_LEVELS, FIELDS, LEVEL, MISSING, type FieldName } from './fields.ts';
import { DEFAULT_MATCH_MODEL, weightTable, type MatchModel, type WeightTable } from './weights.ts';

export type MatchOutcome = 'match' | 'possible' | 'no-match';

/**
 * Why a pair that the weight alone would link is held for review instead:
 * - identifier-conflict: both carry an identifier of one system (one assigning authority) with different values. One
 *   authority gives one person one number, so two numbers mean two persons, or a duplicate registration a person must
 *   merge; never an automatic link, whatever the demographics say (twins share everything else).
 * - given-name-disagrees, birth-date-disagrees, sex-disagrees: agreement on surname, address and telephone is what a
 *   household shares, and the independence the weights assume does not hold inside a household. A twin, a parent and
 *   child of the same name, or a spouse, differs from the person exactly in these fields, so a clear disagreement in
 *   any of them (not a typo, nickname or swapped day and month) leaves the decision to a person. A given name that
 *   agrees only through an initial or a middle name counts as disagreeing here: twins are often named so (Lina A. and
 *   Ashley).
 * - birth-date-missing: inside a household the birth date is what tells a father from the son named after him, or a
 *   mother from her namesake daughter; without it on either side, a household's shared surname, address and telephone
 *   with an equal given name are not enough to link without a person.
 */
export type MatchConflict = 'identifier-conflict' | 'given-name-disagrees' | 'birth-date-disagrees' | 'sex-disagrees' | 'birth-date-missing';

export interface FieldEvidence {
  field: FieldName | 'identifier';
  /** A level of FIELD_LEVELS, 'missing', or for identifiers 'shared', 'conflict' or 'none'. */
  level: string;
  weight: number;
}

export interface PairScore {
  weight: number;
  outcome: MatchOutcome;
  evidence: FieldEvidence[];
  /** Why a pair the weight would link was held for review; an identifier conflict is reported whatever the outcome. */
  conflict?: MatchConflict;
}

const COMPARATORS: Record<FieldName, (a: ComparableRecord, b: ComparableRecord) => number> = {
  given: compareGiven,
  family: compareFamily,
  birthDate: compareBirthDate,
  sex: compareSex,
  contact: compareContact,
};
const COMPARE = FIELDS.map((f) => COMPARATORS[f]);
const GIVEN = FIELDS.indexOf('given');
const BIRTH = FIELDS.indexOf('birthDate');
const SEX = FIELDS.indexOf('sex');
const GIVEN_DISAGREE = LEVEL.given.disagree;
const GIVEN_PARTIAL = LEVEL.given.partial;
const BIRTH_DISAGREE = LEVEL.birthDate.disagree;
const SEX_DISAGREE = LEVEL.sex.disagree;
const NONE = MISSING;

export const IDENTIFIERS_SHARED = 1;
export const IDENTIFIERS_CONFLICT = 2;

function sharesValueIn(a: ComparableRecord, b: ComparableRecord, system: string): boolean {
  for (const x of a.identifiers) {
    if (x.system !== system) continue;
    for (const y of b.identifiers) if (y.system === system && y.value === x.value) return true;
  }
  return false;
}

/** Bit set: IDENTIFIERS_SHARED when some system holds the same value on both, IDENTIFIERS_CONFLICT when some system
 * is on both with no value in common. A value equal across two different systems is no evidence and sets nothing. */
export function compareIdentifiers(a: ComparableRecord, b: ComparableRecord): number {
  let result = 0;
  for (const x of a.identifiers) {
    let inSystem = false;
    let same = false;
    for (const y of b.identifiers) {
      if (y.system !== x.system) continue;
      inSystem = true;
      if (y.value === x.value) {
        same = true;
        break;
      }
    }
    if (same) result |= IDENTIFIERS_SHARED;
    else if (inSystem && !sharesValueIn(a, b, x.system)) result |= IDENTIFIERS_CONFLICT;
  }
  return result;
}

export const OUTCOME_NO_MATCH = 0;
export const OUTCOME_POSSIBLE = 1;
export const OUTCOME_MATCH = 2;
const OUTCOMES: readonly MatchOutcome[] = ['no-match', 'possible', 'match'];
export const CONFLICTS: readonly (MatchConflict | undefined)[] = [undefined, 'identifier-conflict', 'given-name-disagrees', 'birth-date-disagrees', 'sex-disagrees', 'birth-date-missing'];

/** The allocation-free form of a score, for batch work: outcome and conflict as indices of OUTCOMES and CONFLICTS. */
export interface Verdict {
  weight: number;
  outcome: number;
  conflict: number;
  identifiers: number;
}

export function newVerdict(): Verdict {
  return { weight: 0, outcome: OUTCOME_NO_MATCH, conflict: 0, identifiers: 0 };
}

/**
 * Fields in the order a batch compares them: the most telling first (birth date and given name tell household members
 * apart), the dearest last (contact compares street names).
 */
const EVALUATION_ORDER = ['birthDate', 'given', 'family', 'sex', 'contact'].map((f) => FIELDS.indexOf(f as FieldName));

/** For each step of EVALUATION_ORDER, the most weight the fields after it could still add. */
const headroomCache = new WeakMap<WeightTable, Float64Array>();
function headroom(table: WeightTable): Float64Array {
  let room = headroomCache.get(table);
  if (!room) {
    room = new Float64Array(EVALUATION_ORDER.length);
    let after = 0;
    for (let step = EVALUATION_ORDER.length - 1; step >= 0; step--) {
      room[step] = after;
      after += Math.max(0, ...table.fields[EVALUATION_ORDER[step]!]!);
    }
    headroomCache.set(table, room);
  }
  return room;
}

/**
 * Scores a pair into `into`, leaving each field's level index (or MISSING) in `levels`. With `complete` false (batch
 * work), it stops comparing as soon as the fields left could not lift the pair to the lower threshold: the answer is
 * then no-match, the weight a bound, and the levels not compared are MISSING.
 */
export function judgePair(a: ComparableRecord, b: ComparableRecord, table: WeightTable, levels: Int8Array, into: Verdict, complete = false): Verdict {
  const ids = a.identifiers.length > 0 && b.identifiers.length > 0 ? compareIdentifiers(a, b) : 0;
  let weight = 0;
  if (ids & IDENTIFIERS_SHARED) weight += table.identifierShared;
  if (ids & IDENTIFIERS_CONFLICT) weight += table.identifierConflict;
  const mayStop = !complete && (ids & IDENTIFIERS_SHARED) === 0;
  const room = headroom(table);
  for (let step = 0; step < EVALUATION_ORDER.length; step++) {
    const f = EVALUATION_ORDER[step]!;
    const level = COMPARE[f]!(a, b);
    levels[f] = level;
    if (level !== NONE) weight += table.fields[f]![level]!;
    if (mayStop && weight + room[step]! < table.lower) {
      for (let rest = step + 1; rest < EVALUATION_ORDER.length; rest++) levels[EVALUATION_ORDER[rest]!] = NONE;
      into.weight = weight;
      into.outcome = OUTCOME_NO_MATCH;
      into.conflict = ids & IDENTIFIERS_CONFLICT ? 1 : 0;
      into.identifiers = ids;
      return into;
    }
  }
  let outcome = OUTCOME_NO_MATCH;
  let conflict = 0;
  if (ids & IDENTIFIERS_CONFLICT) {
    conflict = 1;
    outcome = ids & IDENTIFIERS_SHARED || weight >= table.lower ? OUTCOME_POSSIBLE : OUTCOME_NO_MATCH;
  } else if (ids & IDENTIFIERS_SHARED) {
    outcome = OUTCOME_MATCH;
  } else if (weight >= table.upper) {
    if (levels[GIVEN] === GIVEN_DISAGREE || levels[GIVEN] === GIVEN_PARTIAL) conflict = 2;
    else if (levels[BIRTH] === BIRTH_DISAGREE) conflict = 3;
    else if (levels[SEX] === SEX_DISAGREE) conflict = 4;
    else if (levels[BIRTH] === NONE) conflict = 5;
    outcome = conflict === 0 ? OUTCOME_MATCH : OUTCOME_POSSIBLE;
  } else if (weight >= table.lower) {
    outcome = OUTCOME_POSSIBLE;
  }
  into.weight = weight;
  into.outcome = outcome;
  into.conflict = conflict;
  into.identifiers = ids;
  return into;
}

const scratchLevels = new Int8Array(FIELDS.length);
const round = (w: number) => Math.round(w * 100) / 100;

/** Scores a pair of records and says which field levels made the weight. */
export function scorePair(a: ComparableRecord, b: ComparableRecord, model: MatchModel = DEFAULT_MATCH_MODEL): PairScore {
  const table = weightTable(model);
  const verdict = judgePair(a, b, table, scratchLevels, newVerdict(), true);
  const evidence: FieldEvidence[] = FIELDS.map((field, f) => {
    const level = scratchLevels[f]!;
    return level === MISSING
      ? { field, level: 'missing', weight: 0 }
      : { field, level: (FIELD_LEVELS[field] as readonly string[])[level]!, weight: round(table.fields[f]![level]!) };
  });
  const ids = verdict.identifiers;
  const identifierWeight = (ids & IDENTIFIERS_SHARED ? table.identifierShared : 0) + (ids & IDENTIFIERS_CONFLICT ? table.identifierConflict : 0);
  const identifierLevel = ids & IDENTIFIERS_CONFLICT ? 'conflict' : ids & IDENTIFIERS_SHARED ? 'shared' : 'none';
  evidence.unshift({ field: 'identifier', level: identifierLevel, weight: round(identifierWeight) });
  const score: PairScore = { weight: round(verdict.weight), outcome: OUTCOMES[verdict.outcome]!, evidence };
  const conflict = CONFLICTS[verdict.conflict];
  if (conflict) score.conflict = conflict;
  return score;
}
