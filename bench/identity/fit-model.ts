/**
 * Estimates the m and u probabilities of DEFAULT_MATCH_MODEL from a labelled synthetic set, and prints them with the
 * weight distribution of blocked candidate pairs so that thresholds can be chosen. Its output is frozen by hand into
 * src/model/identity/weights.ts; the matcher itself never reads labels.
 *   node --import tsx bench/identity/fit-model.ts [--records 50000] [--seed 101] [--random-pairs 2000000]
 */
import { parseArgs } from 'node:util';
import { seededRandom } from '../../test/support/seeded-random.ts';
import { comparableRecord, DEFAULT_MATCH_MODEL, FIELD_LEVELS, FIELDS, type MatchModel } from '../../src/model/identity/index.ts';
import { IDENTIFIERS_CONFLICT, IDENTIFIERS_SHARED, judgePair, newVerdict } from '../../src/model/identity/match.ts';
import { MISSING } from '../../src/model/identity/fields.ts';
import { weightTable } from '../../src/model/identity/weights.ts';
import { syntheticIdentitySet } from './synthetic-set.ts';

const { values } = parseArgs({ options: { records: { type: 'string', default: '50000' }, seed: { type: 'string', default: '101' }, 'random-pairs': { type: 'string', default: '2000000' } } });
const set = syntheticIdentitySet({ records: Number(values.records), seed: Number(values.seed) });
const records = set.records.map(comparableRecord);
const person = set.records.map((r) => set.personOf.get(r.id)!);
const table = weightTable(DEFAULT_MATCH_MODEL);
const levels = new Int8Array(FIELDS.length);
const verdict = newVerdict();

type Counts = { levels: number[][]; shared: number; conflict: number; pairs: number };
const empty = (): Counts => ({ levels: FIELDS.map((f) => new Array<number>(FIELD_LEVELS[f].length).fill(0)), shared: 0, conflict: 0, pairs: 0 });
const tally = (c: Counts, i: number, j: number) => {
  judgePair(records[i]!, records[j]!, table, levels, verdict, true);
  c.pairs++;
  FIELDS.forEach((_, f) => {
    if (levels[f] !== MISSING) c.levels[f]![levels[f]!]!++;
  });
  if (verdict.identifiers & IDENTIFIERS_SHARED) c.shared++;
  if (verdict.identifiers & IDENTIFIERS_CONFLICT) c.conflict++;
};

// m: every same-person pair.
const byPerson = new Map<string, number[]>();
person.forEach((p, i) => byPerson.set(p, [...(byPerson.get(p) ?? []), i]));
const m = empty();
for (const members of byPerson.values()) for (let x = 0; x < members.length; x++) for (let y = x + 1; y < members.length; y++) tally(m, members[x]!, members[y]!);

// u: uniform different-person pairs.
const random = seededRandom(7);
const u = empty();
while (u.pairs < Number(values['random-pairs'])) {
  const i = Math.floor(random() * records.length);
  const j = Math.floor(random() * records.length);
  if (i !== j && person[i] !== person[j]) tally(u, i, j);
}

// Add-one smoothing over the levels observed (missing excluded: it carries no weight).
const probability = (counts: number[], k: number) => (counts[k]! + 1) / (counts.reduce((s, n) => s + n, 0) + counts.length);
const fmt = (x: number) => Number(x.toPrecision(3));
const fields = Object.fromEntries(
  FIELDS.map((f, fi) => [f, Object.fromEntries(FIELD_LEVELS[f].map((level, k) => [level, { m: fmt(probability(m.levels[fi]!, k)), u: fmt(probability(u.levels[fi]!, k)) }]))]),
);
const identifier = {
  shared: { m: fmt((m.shared + 1) / (m.pairs + 2)), u: fmt((u.shared + 1) / (u.pairs + 2)) },
  conflict: { m: fmt((m.conflict + 1) / (m.pairs + 2)), u: fmt((u.conflict + 1) / (u.pairs + 2)) },
};
console.log(`set: ${records.length} records, ${set.persons} persons, ${m.pairs} same-person pairs, ${u.pairs} random pairs`);
console.log(JSON.stringify({ fields, identifier }, null, 1).replace(/\n\s*/g, ' '));

// Weights of blocked candidate pairs under the fitted model, by truth.
const fitted: MatchModel = { ...DEFAULT_MATCH_MODEL, fields: fields as MatchModel['fields'], identifier };
const fittedTable = weightTable(fitted);
const blocks = new Map<string, number[]>();
records.forEach((r, i) => r.blockingKeys.forEach((k) => blocks.set(k, [...(blocks.get(k) ?? []), i])));
const seen = new Set<number>();
const GIVEN = FIELDS.indexOf('given');
const BIRTH = FIELDS.indexOf('birthDate');
const SEX = FIELDS.indexOf('sex');
// Pairs a clear disagreement in given name, birth date or sex (or a missing birth date) holds for review whatever
// their weight (match.ts) are left out: the thresholds decide only the others.
const holds = () =>
  levels[GIVEN] === FIELD_LEVELS.given.indexOf('disagree') || levels[GIVEN] === FIELD_LEVELS.given.indexOf('partial') || levels[BIRTH] === FIELD_LEVELS.birthDate.indexOf('disagree') || levels[SEX] === FIELD_LEVELS.sex.indexOf('disagree') || levels[BIRTH] === MISSING;
const bins = new Map<number, { same: number; other: number }>();
let heldSame = 0;
let heldOther = 0;
for (const members of blocks.values()) {
  if (members.length > 1000) continue;
  for (let x = 0; x < members.length; x++) {
    for (let y = x + 1; y < members.length; y++) {
      const i = members[x]!;
      const j = members[y]!;
      const key = Math.min(i, j) * records.length + Math.max(i, j);
      if (seen.has(key)) continue;
      seen.add(key);
      judgePair(records[i]!, records[j]!, fittedTable, levels, verdict, true);
      if (verdict.identifiers) continue;
      const same = person[i] === person[j];
      if (holds()) {
        if (same) heldSame++;
        else heldOther++;
        continue;
      }
      const bin = Math.floor(verdict.weight);
      const b = bins.get(bin) ?? { same: 0, other: 0 };
      b[same ? 'same' : 'other']++;
      bins.set(bin, b);
    }
  }
}
console.log(`candidate pairs ${seen.size}; without identifier evidence and held by a disagreement: ${heldSame} same-person, ${heldOther} others`);
console.log('weight   same  other   precision at ≥ weight   recall of the rest at ≥ weight');
const sorted = [...bins.entries()].sort((x, y) => y[0] - x[0]);
const totalSame = sorted.reduce((n, [, b]) => n + b.same, 0);
let cumSame = 0;
let cumOther = 0;
for (const [bin, b] of sorted) {
  cumSame += b.same;
  cumOther += b.other;
  if (bin >= 0) console.log(`${String(bin).padStart(5)} ${String(b.same).padStart(6)} ${String(b.other).padStart(6)}   ${(cumSame / (cumSame + cumOther)).toFixed(4)}   ${(cumSame / totalSame).toFixed(4)}`);
}
