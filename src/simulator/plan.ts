import { disorder, labOutage } from './disorder.ts';
import { DraftBook, type Draft } from './draft.ts';
import { BREAKAGE_ACK, BREAKAGES, garbage, truncate, withControlId, withoutPatientId, withVersion, type Breakage } from './malformed.ts';
import { makePeople, type KnownPatient } from './people.ts';
import { hashSeed, SeededRandom } from './random.ts';
import { sourcesInUse, type SimSourceName } from './sources.ts';
import { tellStory } from './story.ts';

/**
 * `planTraffic`: a seed in, a hospital's few days of HL7 v2 traffic out, in the order it is to be sent, each message
 * with the acknowledgment Vigil must answer. Same options, same bytes: nothing here reads a clock or Math.random.
 */
export type MessageKind = 'adt' | 'oru' | 'rde' | 'ras' | 'merge' | 'malformed' | 'duplicate' | 'replay';

export interface SimulatedMessage {
  source: string;
  controlId: string;
  text: string;
  kind: MessageKind;
  expectedAck: 'AA' | 'AE' | 'AR';
  /** The control id of an earlier message that must be acknowledged before this one is sent. */
  sendAfter?: string;
}

export interface PlanOptions {
  patients: number;
  seed: number | string;
  /** 1: ADT only; 2: and the lab; 3 (default): and the pharmacy. */
  sources?: number;
  /** Share of messages sent twice with the same control id (default 0.05); half as many again are replayed later. */
  duplicateRate?: number;
  /** Share of extra broken messages (default 0.02); at least one of each breakage when above zero. */
  malformedRate?: number;
  knownPatients?: KnownPatient[];
}

export const PLAN_LIMITS = { maxPatients: 5000, maxRate: 0.5 } as const;

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const CONTROL_PREFIX: Readonly<Record<SimSourceName, string>> = { 'sim-adt': 'A', 'sim-lab': 'L', 'sim-pharmacy': 'R' };

/** Four characters of the seed in every control id, MRN and order number: two seeds' traffic never collides. */
export function seedTag(seed: number | string): string {
  return hashSeed(`${seed}/tag`).toString(36).toUpperCase().padStart(7, '0').slice(-4);
}

/** The plan's "now": a minute in 2024 chosen by the seed, so every run of a seed writes the same timestamps. */
export function baseTime(seed: number | string): number {
  return Date.UTC(2024, 0, 1) + (hashSeed(`${seed}/base`) % (300 * 24 * 60)) * MINUTE_MS;
}

function check(options: PlanOptions): Required<Omit<PlanOptions, 'knownPatients'>> & { knownPatients: KnownPatient[] } {
  const { patients, sources = 3, duplicateRate = 0.05, malformedRate = 0.02 } = options;
  if (!Number.isInteger(patients) || patients < 1 || patients > PLAN_LIMITS.maxPatients) throw new RangeError(`patients must be a whole number from 1 to ${PLAN_LIMITS.maxPatients}.`);
  if (!Number.isInteger(sources) || sources < 1 || sources > 3) throw new RangeError('sources must be 1, 2 or 3.');
  for (const [name, rate] of [['duplicateRate', duplicateRate], ['malformedRate', malformedRate]] as const) {
    if (!(rate >= 0 && rate <= PLAN_LIMITS.maxRate)) throw new RangeError(`${name} must be a number from 0 to ${PLAN_LIMITS.maxRate}.`);
  }
  if (String(options.seed) === '') throw new RangeError('seed must not be empty.');
  return { patients, seed: options.seed, sources, duplicateRate, malformedRate, knownPatients: options.knownPatients ?? [] };
}

function counters(tag: string): (prefix: string) => string {
  const next = new Map<string, number>();
  return (prefix) => {
    const n = (next.get(prefix) ?? 0) + 1;
    next.set(prefix, n);
    return `${prefix}${tag}${String(n).padStart(4, '0')}`;
  };
}

/** Control ids count up per source in message-time order, as a sender's own counter would. */
function assignControlIds(drafts: readonly Draft[], tag: string): void {
  const bySource = [...drafts].sort((a, b) => a.at - b.at || a.seq - b.seq);
  const numbers = counters(tag);
  for (const d of bySource) d.controlId = numbers(CONTROL_PREFIX[d.source]);
}

interface Placed {
  message: SimulatedMessage;
  position: number;
  seq: number;
}

export function planTraffic(options: PlanOptions): SimulatedMessage[] {
  const o = check(options);
  const root = new SeededRandom(String(o.seed));
  const tag = seedTag(o.seed);
  const baseMs = baseTime(o.seed);
  const inUse = sourcesInUse(o.sources).map((s) => s.name);
  const people = makePeople(root.fork('people'), o.patients, o.knownPatients, baseMs, tag);
  const book = new DraftBook();
  const ctx = { book, startMs: baseMs - 4 * DAY_MS, baseMs, lab: inUse.includes('sim-lab'), pharmacy: inUse.includes('sim-pharmacy'), unique: counters(tag) };
  for (const person of people) tellStory(root.fork(`story/${person.key}`), ctx, person);

  const drafts = book.drafts;
  if (ctx.lab) labOutage(root.fork('outage'), drafts, baseMs);
  disorder(root.fork('disorder'), drafts, new Map(people.map((p) => [p.key, p.mrn])));
  assignControlIds(drafts, tag);
  const ordered = [...drafts].sort((a, b) => a.deliverAt - b.deliverAt || a.seq - b.seq);
  const clinical: SimulatedMessage[] = ordered.map((d) => ({
    source: d.source,
    controlId: d.controlId!,
    text: d.render(d.controlId!, d.at),
    kind: d.kind,
    expectedAck: 'AA',
    ...(d.after ? { sendAfter: d.after.controlId! } : {}),
  }));
  return mess(root, clinical, o.duplicateRate, o.malformedRate, inUse, tag);
}

/** Resends, replays and broken messages, placed among the clinical ones by a fractional position. */
function mess(root: SeededRandom, clinical: readonly SimulatedMessage[], duplicateRate: number, malformedRate: number, inUse: readonly SimSourceName[], tag: string): SimulatedMessage[] {
  const n = clinical.length;
  const placed: Placed[] = clinical.map((message, i) => ({ message, position: i, seq: i }));
  const add = (message: SimulatedMessage, position: number) => placed.push({ message, position, seq: placed.length });
  const atLeastOne = (rate: number, share: number) => (rate > 0 ? Math.max(1, Math.round(rate * share * n)) : 0);
  const indices = clinical.map((_, i) => i);

  const copies = root.fork('duplicates');
  for (const i of copies.sample(indices, atLeastOne(duplicateRate, 1))) {
    const original = clinical[i]!;
    add({ ...original, kind: 'duplicate', sendAfter: original.controlId }, i + copies.between(0.1, 3));
  }

  // A replay is an interface engine resending old traffic: same content, a control id it stamps anew.
  const replays = root.fork('replays');
  const replayable = indices.filter((i) => i < n / 2 && clinical[i]!.kind !== 'merge');
  for (const i of replays.sample(replayable, atLeastOne(duplicateRate, 0.5))) {
    const original = clinical[i]!;
    const controlId = `${original.controlId}R`;
    add({ ...original, controlId, text: withControlId(original.text, controlId), kind: 'replay', sendAfter: original.controlId }, i + replays.between(n / 3, (2 * n) / 3));
  }

  const broken = root.fork('malformed');
  const breakable = indices.filter((i) => clinical[i]!.kind !== 'merge');
  const count = malformedRate > 0 ? Math.max(BREAKAGES.length, Math.round(malformedRate * n)) : 0;
  for (let k = 0; k < count; k++) {
    const breakage: Breakage = BREAKAGES[k % BREAKAGES.length]!;
    const original = clinical[broken.pick(breakable)]!;
    const controlId = breakage === 'garbage' ? `G${tag}${String(k + 1).padStart(4, '0')}` : `${original.controlId}X${k + 1}`;
    const text =
      breakage === 'garbage'
        ? garbage(broken)
        : breakage === 'truncated'
          ? truncate(broken, withControlId(original.text, controlId))
          : breakage === 'no-patient-id'
            ? withoutPatientId(withControlId(original.text, controlId))
            : withVersion(withControlId(original.text, controlId), '2.2');
    const source = breakage === 'garbage' ? broken.pick(inUse) : original.source;
    add({ source, controlId, text, kind: 'malformed', expectedAck: BREAKAGE_ACK[breakage] }, broken.between(0, n));
  }

  return placed.sort((a, b) => a.position - b.position || a.seq - b.seq).map((p) => p.message);
}
