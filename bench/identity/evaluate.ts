/**
 * Quality of the patient matcher on a labelled synthetic set: dedupe the whole set, then count pairs against the
 * truth. Goals (the MPI issue): precision of automatic links ≥ 0.995, and F1 ≥ 0.98 when every review-queue pair is
 * resolved correctly by a person. Writes the `identity-quality` section of bench/RESULTS.md.
 *   node --import tsx bench/identity/evaluate.ts [--records 50000] [--seed 1] [--no-write]
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { comparableRecord, dedupeComparable, DEFAULT_MATCH_MODEL } from '../../src/model/identity/index.ts';
import { describeMachine, loadAverage } from '../machine.ts';
import { upsertSection } from '../results-sections.ts';
import { dedupeQuality } from './metrics.ts';
import { syntheticIdentitySet } from './synthetic-set.ts';

const { values } = parseArgs({ options: { records: { type: 'string', default: '50000' }, seed: { type: 'string', default: '1' }, 'no-write': { type: 'boolean', default: false } } });
const recordCount = Number(values.records);
const seed = Number(values.seed);

const machine = describeMachine();
const loadBefore = loadAverage();
const set = syntheticIdentitySet({ records: recordCount, seed });
const started = performance.now();
const records = set.records.map(comparableRecord);
const result = dedupeComparable(records);
const seconds = (performance.now() - started) / 1000;
const q = dedupeQuality(set.records.map((r) => r.id), result, set.personOf);

// How many same-person pairs share a blocking key at all: the ceiling on recall that blocking leaves.
const keysOf = new Map(records.map((r) => [r.id, new Set(r.blockingKeys)]));
const byPerson = new Map<string, string[]>();
for (const r of set.records) {
  const p = set.personOf.get(r.id)!;
  byPerson.set(p, [...(byPerson.get(p) ?? []), r.id]);
}
let truePairs = 0;
let blocked = 0;
for (const ids of byPerson.values()) {
  for (let x = 0; x < ids.length; x++) {
    for (let y = x + 1; y < ids.length; y++) {
      truePairs++;
      const kx = keysOf.get(ids[x]!)!;
      if ([...keysOf.get(ids[y]!)!].some((k) => kx.has(k))) blocked++;
    }
  }
}

const f = (x: number) => x.toFixed(4);
const int = (n: number) => Math.round(n).toLocaleString('en-US');
const precisionMet = q.auto.precision >= 0.995;
const f1Met = q.withReview.f1 >= 0.98;
console.log(`identity evaluation: ${int(recordCount)} records of ${int(set.persons)} persons (seed ${seed}), ${int(q.auto.truePairs)} same-person pairs; dedupe ${seconds.toFixed(1)} s`);
console.log(`  blocking: ${int(result.stats.candidatePairs)} candidate pairs, ${f(blocked / truePairs)} of same-person pairs share a key, ${result.stats.skippedKeys} keys skipped as too common`);
console.log(`  auto-links: precision ${f(q.auto.precision)} recall ${f(q.auto.recall)} F1 ${f(q.auto.f1)} (${int(result.links.length)} links, ${result.stats.refusedLinks} refused for conflicting identifiers)`);
console.log(`  review queue: ${int(q.reviewQueue)} pairs, ${int(q.reviewTrue)} of them one person`);
console.log(`  with review resolved: precision ${f(q.withReview.precision)} recall ${f(q.withReview.recall)} F1 ${f(q.withReview.f1)}`);
console.log(`  goals: precision ≥ 0.995 ${precisionMet ? 'met' : 'NOT MET'}; F1 with review ≥ 0.98 ${f1Met ? 'met' : 'NOT MET'}`);

if (!values['no-write']) {
  const md = [
    '## Patient matching quality (master patient index)',
    '',
    `Written by \`node --import tsx bench/identity/evaluate.ts --records ${recordCount} --seed ${seed}\` on ${new Date().toISOString()} (${machine.cpuModel}, ${machine.cores} cores, ${machine.totalMemoryGiB} GiB, Node ${machine.node}, ${machine.os}, commit ${machine.commit}; 1-min load ${loadBefore} → ${loadAverage()}).`,
    '',
    `The labelled synthetic set of \`bench/identity/synthetic-set.ts\` (seed ${seed}; the model's m/u were fitted on seed 101): ${int(recordCount)} records of ${int(set.persons)} persons in households, each person registered at 1–4 sources with typos, nicknames, swapped day/month, missing fields, married and hyphenated surnames, moves, twins and namesake sons. ` +
      `\`dedupe\` (blocking, Fellegi-Sunter scoring, union-find over automatic links with an identifier-conflict guard) ran over all of it in ${seconds.toFixed(1)} s; every figure counts pairs of records, links by their transitive closure, against the truth the matcher never sees.`,
    '',
    '| measure | value | goal |',
    '|---|---:|---|',
    `| same-person pairs in the set | ${int(q.auto.truePairs)} | |`,
    `| same-person pairs sharing a blocking key (blocking recall) | ${f(blocked / truePairs)} | |`,
    `| candidate pairs scored | ${int(result.stats.candidatePairs)} | |`,
    `| **precision of automatic links** | **${f(q.auto.precision)}** | ≥ 0.995: ${precisionMet ? 'met' : 'not met'} |`,
    `| recall of automatic links | ${f(q.auto.recall)} | |`,
    `| F1 of automatic links | ${f(q.auto.f1)} | |`,
    `| review queue (pairs of clusters) | ${int(q.reviewQueue)} (${int(q.reviewTrue)} one person) | |`,
    `| precision / recall with the review queue resolved | ${f(q.withReview.precision)} / ${f(q.withReview.recall)} | |`,
    `| **F1 with the review queue resolved** | **${f(q.withReview.f1)}** | ≥ 0.98: ${f1Met ? 'met' : 'not met'} |`,
    '',
    `Thresholds: upper ${DEFAULT_MATCH_MODEL.upper}, lower ${DEFAULT_MATCH_MODEL.lower} (log2 likelihood ratio). ${result.stats.refusedLinks} automatic links were refused because they would have joined two clusters holding different values of one identifier system, and went to review instead.`,
  ].join('\n');
  upsertSection(fileURLToPath(new URL('../RESULTS.md', import.meta.url)), 'identity-quality', md);
  console.log('wrote bench/RESULTS.md section identity-quality');
}
