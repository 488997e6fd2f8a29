import { comparableRecord, type ComparableRecord, type MatchRecord } from './comparable.ts';
import { FIELDS } from './fields.ts';
import { judgePair, newVerdict, OUTCOME_MATCH, OUTCOME_POSSIBLE } from './match.ts';
import { UnionFind } from './union-find.ts';
import { DEFAULT_MATCH_MODEL, weightTable, type MatchModel } from './weights.ts';

export interface DedupeOptions {
  /**
   * A blocking key shared by more records than this is skipped: it says too little to be worth the pairs (a clinic's
   * switchboard number, an apartment block's postal code and number). The record still meets its duplicates through
   * its other keys. Default 1,000.
   */
  maxBlockSize?: number;
}

export interface DedupeResult {
  /** Pairs linked automatically; their transitive closure is the set of persons found. */
  links: [string, string][];
  /** One pair per two clusters a person should look at, with its weight, highest first. */
  possible: [string, string, number][];
  stats: { records: number; candidatePairs: number; skippedKeys: number; refusedLinks: number };
}

/** In-memory batch dedupe: blocking, scoring of every pair that shares a key, then clustering of the automatic links. */
export function dedupe(records: readonly MatchRecord[], model: MatchModel = DEFAULT_MATCH_MODEL, options: DedupeOptions = {}): DedupeResult {
  return dedupeComparable(records.map(comparableRecord), model, options);
}

type IdentifierSets = Map<string, Set<string>>;

function identifierSets(r: ComparableRecord): IdentifierSets {
  const sets: IdentifierSets = new Map();
  for (const id of r.identifiers) {
    const values = sets.get(id.system) ?? new Set<string>();
    values.add(id.value);
    sets.set(id.system, values);
  }
  return sets;
}

/** Two clusters conflict when one identifier system holds values on both sides and none in common. */
function conflicting(x: IdentifierSets, y: IdentifierSets): boolean {
  for (const [system, values] of x) {
    const other = y.get(system);
    if (!other) continue;
    let common = false;
    for (const v of values) if (other.has(v)) common = true;
    if (!common) return true;
  }
  return false;
}

export function dedupeComparable(records: readonly ComparableRecord[], model: MatchModel = DEFAULT_MATCH_MODEL, options: DedupeOptions = {}): DedupeResult {
  const table = weightTable(model);
  const maxBlock = options.maxBlockSize ?? 1000;
  const n = records.length;

  const counts = new Map<string, number>();
  for (const r of records) for (const key of r.blockingKeys) counts.set(key, (counts.get(key) ?? 0) + 1);
  let skippedKeys = 0;
  for (const c of counts.values()) if (c > maxBlock) skippedKeys++;

  // Each record is compared with the earlier records of its blocks; the stamp stops a pair that shares several keys
  // from being scored once per key, without a set of seen pairs.
  const blocks = new Map<string, number[]>();
  const seenBy = new Int32Array(n).fill(-1);
  const levels = new Int8Array(FIELDS.length);
  const verdict = newVerdict();
  const matchA: number[] = [];
  const matchB: number[] = [];
  const matchW: number[] = [];
  const possA: number[] = [];
  const possB: number[] = [];
  const possW: number[] = [];
  let candidatePairs = 0;
  for (let i = 0; i < n; i++) {
    const a = records[i]!;
    for (const key of a.blockingKeys) {
      const count = counts.get(key)!;
      if (count < 2 || count > maxBlock) continue;
      let members = blocks.get(key);
      if (!members) {
        members = [];
        blocks.set(key, members);
      }
      for (const j of members) {
        if (seenBy[j] === i) continue;
        seenBy[j] = i;
        candidatePairs++;
        judgePair(a, records[j]!, table, levels, verdict);
        if (verdict.outcome === OUTCOME_MATCH) {
          matchA.push(j);
          matchB.push(i);
          matchW.push(verdict.weight);
        } else if (verdict.outcome === OUTCOME_POSSIBLE) {
          possA.push(j);
          possB.push(i);
          possW.push(verdict.weight);
        }
      }
      members.push(i);
    }
  }

  // Strongest links first, so that when a chain would join two clusters with conflicting identifiers (one MRN system,
  // two values), it is the weakest link that is refused and sent to review.
  const order = Array.from(matchW.keys()).sort((x, y) => matchW[y]! - matchW[x]! || x - y);
  const sets = new UnionFind(n);
  const clusterIds = new Map<number, IdentifierSets>();
  const idsOfRoot = (root: number) => clusterIds.get(root) ?? identifierSets(records[root]!);
  const links: [string, string][] = [];
  let refusedLinks = 0;
  for (const e of order) {
    const ra = sets.find(matchA[e]!);
    const rb = sets.find(matchB[e]!);
    if (ra === rb) {
      links.push([records[matchA[e]!]!.id, records[matchB[e]!]!.id]);
      continue;
    }
    const x = idsOfRoot(ra);
    const y = idsOfRoot(rb);
    if (conflicting(x, y)) {
      refusedLinks++;
      possA.push(matchA[e]!);
      possB.push(matchB[e]!);
      possW.push(matchW[e]!);
      continue;
    }
    const root = sets.unionRoots(ra, rb);
    const merged = new Map(x);
    for (const [system, values] of y) merged.set(system, new Set([...(merged.get(system) ?? []), ...values]));
    clusterIds.delete(ra);
    clusterIds.delete(rb);
    if (merged.size > 0) clusterIds.set(root, merged);
    links.push([records[matchA[e]!]!.id, records[matchB[e]!]!.id]);
  }

  // A reviewer decides about two clusters once: keep the strongest pair between them, drop pairs already linked.
  const best = new Map<number, number>();
  for (let p = 0; p < possW.length; p++) {
    const ra = sets.find(possA[p]!);
    const rb = sets.find(possB[p]!);
    if (ra === rb) continue;
    const key = Math.min(ra, rb) * n + Math.max(ra, rb);
    const seen = best.get(key);
    if (seen === undefined || possW[p]! > possW[seen]!) best.set(key, p);
  }
  const possible: [string, string, number][] = [...best.values()]
    .sort((x, y) => possW[y]! - possW[x]! || x - y)
    .map((p) => [records[possA[p]!]!.id, records[possB[p]!]!.id, possW[p]!]);

  return { links, possible, stats: { records: n, candidatePairs, skippedKeys, refusedLinks } };
}
