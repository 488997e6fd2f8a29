import { setTimeout as sleep } from 'node:timers/promises';
import { parseHl7Message } from '../adapters/hl7v2/index.ts';
import { MllpLane } from '../transport/mllp-client.ts';
import type { SimulatedMessage } from './plan.ts';

/**
 * `sendTraffic`: sends a plan over MLLP, one connection per source (as each sending system has its own), one message
 * at a time in plan order, and checks each ACK against what the plan expects. A message is held back while its
 * `sendAfter` is not yet acknowledged, and a silent feed's messages are held for `silentSeconds` starting a third of
 * the way through its traffic; held messages go out, in order, as soon as they may.
 */
export interface SendOptions {
  host: string;
  port: number;
  /** Messages per second across all sources; as fast as the ACKs come when absent. */
  rate?: number;
  onAck?: (message: SimulatedMessage, code: string) => void;
  signal?: AbortSignal;
  silentFeed?: string;
  silentSeconds?: number;
  ackTimeoutMs?: number;
  /** Tries per message before it counts as lost; a resend after a lost ACK is what real senders do. */
  attempts?: number;
}

export interface SendResult {
  /** Messages taken in hand (a resend of the same message counts once). */
  sent: number;
  /** ACKs by MSA-1 code (`unreadable` when the answer could not be read at all). */
  acked: Record<string, number>;
  /** ACKs whose code differs from the plan's, or that name another message's control id. */
  mismatches: number;
  /** Messages that got no ACK after every try. */
  lost: number;
}

interface Ack {
  code: string;
  controlId: string;
}

function readAck(payload: Buffer): Ack | undefined {
  try {
    const ack = parseHl7Message(payload);
    return { code: ack.get('MSA-1') ?? '', controlId: ack.get('MSA-2') ?? '' };
  } catch {
    // Vigil answers a message of a version it refuses in that same version (MSH-12 2.2), which its parser then refuses
    // too; MSA-1 and MSA-2 can still be read plainly.
    const text = payload.toString('utf8');
    const separator = text.startsWith('MSH') ? text[3]! : '|';
    const msa = text.split(/\r\n|\r|\n/).find((s) => s.startsWith(`MSA${separator}`));
    if (!msa) return undefined;
    const fields = msa.split(separator);
    return { code: fields[1] ?? '', controlId: fields[2] ?? '' };
  }
}

class Silence {
  private until: number | undefined;
  private seen = 0;
  private readonly startAt: number;

  constructor(
    private readonly feed: string | undefined,
    private readonly ms: number,
    total: number,
  ) {
    this.startAt = Math.floor(total / 3);
  }

  /** Called for each message of the plan as the dispatcher reaches it; true while it must be held. */
  holds(source: string): boolean {
    if (source !== this.feed || this.ms <= 0) return false;
    if (this.until === undefined && this.seen++ === this.startAt) this.until = Date.now() + this.ms;
    return this.active();
  }

  active(): boolean {
    return this.until !== undefined && Date.now() < this.until;
  }

  remainingMs(): number {
    return this.until === undefined ? 0 : Math.max(0, this.until - Date.now());
  }
}

export async function sendTraffic(messages: readonly SimulatedMessage[], options: SendOptions): Promise<SendResult> {
  const result: SendResult = { sent: 0, acked: {}, mismatches: 0, lost: 0 };
  const lanes = new Map<string, MllpLane>();
  const lane = (source: string) => {
    let l = lanes.get(source);
    if (!l) lanes.set(source, (l = new MllpLane(options.host, options.port, options.ackTimeoutMs ?? 10_000)));
    return l;
  };
  const planned = new Set(messages.map((m) => m.controlId));
  const settled = new Set<string>();
  const silence = new Silence(options.silentFeed, (options.silentSeconds ?? 0) * 1000, messages.filter((m) => m.source === options.silentFeed).length);
  const started = Date.now();
  const stopped = () => options.signal?.aborted === true;

  const deliver = async (m: SimulatedMessage): Promise<void> => {
    if (options.rate) {
      const wait = started + (result.sent / options.rate) * 1000 - Date.now();
      if (wait > 0) await sleep(wait, undefined, { signal: options.signal }).catch(() => undefined);
    }
    result.sent++;
    let ack: Ack | undefined;
    for (let attempt = 1; attempt <= (options.attempts ?? 3) && !ack && !stopped(); attempt++) {
      try {
        const payload = await lane(m.source).exchange(m.text);
        ack = readAck(payload) ?? { code: 'unreadable', controlId: '' };
      } catch {
        await sleep(100 * attempt);
      }
    }
    settled.add(m.controlId);
    if (!ack) {
      result.lost++;
      return;
    }
    result.acked[ack.code] = (result.acked[ack.code] ?? 0) + 1;
    if (ack.code !== m.expectedAck || (ack.controlId !== '' && ack.controlId !== m.controlId)) result.mismatches++;
    options.onAck?.(m, ack.code);
  };

  const mayGo = (m: SimulatedMessage) => !m.sendAfter || !planned.has(m.sendAfter) || settled.has(m.sendAfter);
  let held: SimulatedMessage[] = [];
  const release = async (): Promise<void> => {
    for (let progress = true; progress && !stopped(); ) {
      progress = false;
      for (const [i, m] of held.entries()) {
        const blocked = (m.source === options.silentFeed && silence.active()) || !mayGo(m) || held.slice(0, i).some((h) => h.source === m.source);
        if (blocked) continue;
        held = held.filter((h) => h !== m);
        await deliver(m);
        progress = true;
        break;
      }
    }
  };

  try {
    for (const m of messages) {
      if (stopped()) break;
      await release();
      if (silence.holds(m.source) || !mayGo(m) || held.some((h) => h.source === m.source)) held.push(m);
      else await deliver(m);
    }
    while (held.length > 0 && !stopped()) {
      await sleep(silence.remainingMs(), undefined, { signal: options.signal }).catch(() => undefined);
      const before = held.length;
      await release();
      // A prerequisite that never got an answer must not hold the rest back for ever.
      if (held.length === before && !silence.active()) await deliver(held.shift()!);
    }
  } finally {
    for (const l of lanes.values()) l.close();
  }
  return result;
}
