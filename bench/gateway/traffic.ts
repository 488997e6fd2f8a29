import { planTraffic, SIMULATOR_SOURCES, type SimulatedMessage } from '../../src/simulator/index.ts';
import { seedTag } from '../../src/simulator/plan.ts';
import { frame } from './mllp-load.ts';

/**
 * The gateway benches send the simulator's hospital traffic (src/simulator): ADT from `sim-adt` and ORU results from
 * `sim-lab`, in delivery order, with no duplicates and no broken messages (those take other paths, measured by the
 * tests, not here). One plan is made per run; longer loads reuse it under new identities (see `TrafficPool`).
 */
export const BENCH_SEED = 'gw-bench';
/** ADT and lab: the two message types the throughput goal names. */
export const BENCH_SOURCES = SIMULATOR_SOURCES.slice(0, 2);

export interface Traffic {
  messages: SimulatedMessage[];
  /** The 4 characters planTraffic writes into every control id, MRN, visit and order number of this seed. */
  tag: string;
  meanBytes: number;
  byKind: Record<string, number>;
  planSeconds: number;
}

export function makeTraffic(patients: number): Traffic {
  const started = performance.now();
  const messages = planTraffic({ patients, seed: BENCH_SEED, sources: BENCH_SOURCES.length, duplicateRate: 0, malformedRate: 0 });
  const planSeconds = (performance.now() - started) / 1000;
  const tag = seedTag(BENCH_SEED);
  // Renaming the tag is only safe when it cannot occur in a date, a number or a name: it needs a letter and a digit.
  if (!/[A-Z]/.test(tag) || !/[0-9]/.test(tag) || tag.endsWith('Z')) throw new Error(`seed ${BENCH_SEED} has tag ${tag}, which the bench cannot rename safely; choose another seed`);
  const byKind: Record<string, number> = {};
  let bytes = 0;
  for (const m of messages) {
    byKind[m.kind] = (byKind[m.kind] ?? 0) + 1;
    bytes += Buffer.byteLength(m.text);
  }
  return { messages, tag, meanBytes: bytes / messages.length, byKind, planSeconds };
}

/**
 * An endless supply of distinct messages from one plan. Pass n of the plan has every identifier the seed made
 * (control ids, MRNs, visit and order numbers) renamed under a tag of its own, so each pass is another set of
 * patients with their own visits and orders: never a duplicate to the receiver's dedupe, and new people to the
 * worker's patient index. Messages go out in plan order, so a pass keeps the plan's mix and its disorder.
 */
export class TrafficPool {
  private i = 0;

  constructor(
    private readonly traffic: Traffic,
    /** Distinguishes pools of one run, so two benches on one database never send the same identities. */
    private readonly pool: number,
  ) {}

  /** How many messages this pool has handed out. */
  get handedOut(): number {
    return this.i;
  }

  next(): Buffer {
    const n = this.i++;
    const pass = Math.floor(n / this.traffic.messages.length);
    const text = this.traffic.messages[n % this.traffic.messages.length]!.text;
    return frame(text.replaceAll(this.traffic.tag, passTag(this.pool, pass)));
  }
}

/** Four characters ending in Z (the seed's own tag does not), unique per pool and pass: 36 pools × 1,296 passes. */
function passTag(pool: number, pass: number): string {
  if (pool >= 36 || pass >= 36 * 36) throw new Error('the bench ran out of traffic identities');
  return `${pool.toString(36)}${pass.toString(36).padStart(2, '0')}Z`.toUpperCase();
}
