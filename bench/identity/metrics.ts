/**
 * Pairwise quality of a dedupe against the truth: every pair of records is either the same person or not, and a
 * result puts it in one cluster or not. Links are counted by their transitive closure, which is what a master patient
 * index would act on.
 */
import type { DedupeResult } from '../../src/model/identity/index.ts';

export interface PairQuality {
  precision: number;
  recall: number;
  f1: number;
  truePairs: number;
  linkedPairs: number;
  correctPairs: number;
}

export interface DedupeQuality {
  auto: PairQuality;
  /** Review pairs, one per two clusters; how many of them are one person. */
  reviewQueue: number;
  reviewTrue: number;
  /** Auto-links plus every review pair resolved correctly by a person (true ones linked, false ones rejected). */
  withReview: PairQuality;
}

function closureQuality(ids: readonly string[], links: readonly (readonly [string, string])[], personOf: ReadonlyMap<string, string>): PairQuality {
  const index = new Map(ids.map((id, i) => [id, i]));
  const parent = Int32Array.from(ids, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  for (const [a, b] of links) {
    const ra = find(index.get(a)!);
    const rb = find(index.get(b)!);
    if (ra !== rb) parent[ra] = rb;
  }
  const choose2 = (n: number) => (n * (n - 1)) / 2;
  const clusterSize = new Map<number, number>();
  const clusterPerson = new Map<string, number>();
  const personSize = new Map<string, number>();
  ids.forEach((id, i) => {
    const root = find(i);
    const person = personOf.get(id)!;
    clusterSize.set(root, (clusterSize.get(root) ?? 0) + 1);
    const key = `${root}|${person}`;
    clusterPerson.set(key, (clusterPerson.get(key) ?? 0) + 1);
    personSize.set(person, (personSize.get(person) ?? 0) + 1);
  });
  let linkedPairs = 0;
  let correctPairs = 0;
  let truePairs = 0;
  for (const n of clusterSize.values()) linkedPairs += choose2(n);
  for (const n of clusterPerson.values()) correctPairs += choose2(n);
  for (const n of personSize.values()) truePairs += choose2(n);
  const precision = linkedPairs === 0 ? 1 : correctPairs / linkedPairs;
  const recall = truePairs === 0 ? 1 : correctPairs / truePairs;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1, truePairs, linkedPairs, correctPairs };
}

export function dedupeQuality(ids: readonly string[], result: DedupeResult, personOf: ReadonlyMap<string, string>): DedupeQuality {
  const auto = closureQuality(ids, result.links, personOf);
  const confirmed = result.possible.filter(([a, b]) => personOf.get(a) === personOf.get(b)).map(([a, b]) => [a, b] as const);
  const withReview = closureQuality(ids, [...result.links, ...confirmed], personOf);
  return { auto, reviewQueue: result.possible.length, reviewTrue: confirmed.length, withReview };
}
