import type { ComparableRecord } from './comparable.ts';
import { FIELDS } from './fields.ts';
import { judgePair, newVerdict, OUTCOME_NO_MATCH, scorePair, type PairScore } from './match.ts';
import { DEFAULT_MATCH_MODEL, weightTable, type MatchModel } from './weights.ts';

export interface Candidate {
  id: string;
  score: PairScore;
}

/**
 * An in-memory blocking index: the same candidate retrieval a database index on the blocking keys gives, for tests,
 * benchmarks and batch tools. Blocks larger than `maxBlockSize` are not scored (as in dedupe).
 */
export class MatchIndex {
  private readonly records: ComparableRecord[] = [];
  private readonly blocks = new Map<string, number[]>();
  private readonly seenBy: number[] = [];
  private query = 0;
  private readonly levels = new Int8Array(FIELDS.length);
  private readonly verdict = newVerdict();

  constructor(
    private readonly model: MatchModel = DEFAULT_MATCH_MODEL,
    private readonly maxBlockSize = 1000,
  ) {}

  get size(): number {
    return this.records.length;
  }

  add(record: ComparableRecord): void {
    const index = this.records.length;
    this.records.push(record);
    this.seenBy.push(-1);
    for (const key of record.blockingKeys) {
      const members = this.blocks.get(key);
      if (members) members.push(index);
      else this.blocks.set(key, [index]);
    }
  }

  /** Indices of the records sharing a usable key with `record`, each once. */
  candidates(record: ComparableRecord): number[] {
    const q = ++this.query;
    const out: number[] = [];
    for (const key of record.blockingKeys) {
      const members = this.blocks.get(key);
      if (!members || members.length > this.maxBlockSize) continue;
      for (const j of members) {
        if (this.seenBy[j] === q) continue;
        this.seenBy[j] = q;
        out.push(j);
      }
    }
    return out;
  }

  /** Records that match or possibly match `record`, highest weight first, with the evidence of each. */
  match(record: ComparableRecord): Candidate[] {
    const table = weightTable(this.model);
    const found: { index: number; weight: number }[] = [];
    for (const j of this.candidates(record)) {
      const verdict = judgePair(record, this.records[j]!, table, this.levels, this.verdict);
      if (verdict.outcome !== OUTCOME_NO_MATCH) found.push({ index: j, weight: verdict.weight });
    }
    found.sort((x, y) => y.weight - x.weight);
    return found.map(({ index }) => ({ id: this.records[index]!.id, score: scorePair(record, this.records[index]!, this.model) }));
  }

  /** The record added at `index` (as `candidates` answers). */
  at(index: number): ComparableRecord {
    return this.records[index]!;
  }
}
