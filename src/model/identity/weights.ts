import { FIELD_LEVELS, FIELDS, type FieldLevel, type FieldName } from './fields.ts';

/**
 * Fellegi-Sunter: for each field and comparison level, m = P(level | same person) and u = P(level | different
 * persons). A pair's weight is the sum over fields of log2(m/u) for the level observed (a missing field adds 0), so
 * the weight is the log2 likelihood ratio of "same person" under the model's independence assumption. Pairs at or
 * above `upper` are linked automatically, pairs at or above `lower` go to a person's review queue.
 */
export interface Probabilities {
  m: number;
  u: number;
}

export type FieldProbabilities = { [F in FieldName]: { [L in FieldLevel<F>]: Probabilities } };

export interface MatchModel {
  fields: FieldProbabilities;
  /** Identifiers decide rather than weigh (match.ts), but their weight is reported and added like any other. */
  identifier: { shared: Probabilities; conflict: Probabilities };
  upper: number;
  lower: number;
}

/**
 * m and u were estimated from labelled data (bench/identity/fit-model.ts), not by EM: the synthetic set knows which
 * records are one person, so m is the share of each level among all same-person pairs and u among a uniform sample
 * of 2,000,000 different-person pairs, with add-one smoothing so that no level is impossible. The set was generated
 * with seed 101 and 50,000 records; the evaluation uses other seeds, and the matcher never sees a label. u comes from
 * random pairs (the population), not from blocked candidates, so the weights say how rare an agreement is among
 * strangers; agreement that households share (surname, address, telephone) is held back by the rules in match.ts,
 * not by the weights. Thresholds were chosen on the same fitting set (fit-model.ts prints the precision by weight of
 * the pairs no rule holds): at 24 and above, 99.98% of those pairs are one person and 98.6% of such same-person pairs
 * are there; from 14 up to 24 the pairs are about half same-person and go to review; below 14 almost none are.
 */
export const DEFAULT_MATCH_MODEL: MatchModel = {
  fields: {
    given: {
      exact: { m: 0.778, u: 0.00565 },
      nickname: { m: 0.136, u: 0.00301 },
      similar: { m: 0.0732, u: 0.00297 },
      partial: { m: 0.00306, u: 0.00897 },
      disagree: { m: 0.00956, u: 0.979 },
    },
    family: {
      exact: { m: 0.818, u: 0.00213 },
      similar: { m: 0.0646, u: 0.00111 },
      part: { m: 0.0496, u: 0.000545 },
      disagree: { m: 0.0681, u: 0.996 },
    },
    birthDate: {
      exact: { m: 0.968, u: 0.0000342 },
      transposed: { m: 0.0136, u: 0.0000138 },
      near: { m: 0.0186, u: 0.00106 },
      disagree: { m: 0.000291, u: 0.999 },
    },
    sex: {
      agree: { m: 0.994, u: 0.501 },
      disagree: { m: 0.00631, u: 0.499 },
    },
    contact: {
      'phone-and-address': { m: 0.343, u: 0.0000107 },
      phone: { m: 0.107, u: 0.00000565 },
      address: { m: 0.493, u: 0.0000605 },
      area: { m: 0.0012, u: 0.00809 },
      disagree: { m: 0.0564, u: 0.992 },
    },
  },
  identifier: {
    // u of a shared identifier is set, not fitted: no random pair shared one, and within one assigning authority a
    // value names one person, so agreement is taken as near-proof (about 2^36 to 1).
    shared: { m: 0.102, u: 1e-12 },
    conflict: { m: 0.0207, u: 0.178 },
  },
  upper: 24,
  lower: 14,
};

/** log2(m/u) per field and level index, and for identifiers; computed once per model object. */
export interface WeightTable {
  readonly fields: readonly Float64Array[];
  readonly identifierShared: number;
  readonly identifierConflict: number;
  readonly upper: number;
  readonly lower: number;
}

const weight = (p: Probabilities) => Math.log2(p.m / p.u);
const cache = new WeakMap<MatchModel, WeightTable>();

export function weightTable(model: MatchModel): WeightTable {
  let table = cache.get(model);
  if (!table) {
    table = {
      fields: FIELDS.map((f) => {
        const levels = FIELD_LEVELS[f] as readonly string[];
        const probabilities = model.fields[f] as Record<string, Probabilities>;
        return Float64Array.from(levels, (level) => weight(probabilities[level]!));
      }),
      identifierShared: weight(model.identifier.shared),
      identifierConflict: weight(model.identifier.conflict),
      upper: model.upper,
      lower: model.lower,
    };
    cache.set(model, table);
  }
  return table;
}
