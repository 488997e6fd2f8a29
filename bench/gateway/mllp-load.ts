import net from 'node:net';
import { cpuMeter } from '../support/cpu.ts';

/**
 * The sending side of the gateway benches: K connections, each in HL7 original mode (one message out, wait for its
 * ACK, next), timed at the client from the write to the last byte of the ACK. Written over node:net for the same
 * reason as src/simulator/mllp-sender.ts, and so the client costs as little CPU as it can: the client shares the
 * machine's cores with the server under test.
 */
const START = Buffer.from([0x0b]);
const END = Buffer.from([0x1c, 0x0d]);

export function frame(text: string): Buffer {
  return Buffer.concat([START, Buffer.from(text, 'utf8'), END]);
}

/** MSA-1 read plainly (`MSA|AA|…`): the benches count codes, they do not validate ACKs (the test suite does). */
export function ackCode(payload: Buffer): string {
  const at = payload.indexOf('MSA|');
  return at < 0 ? 'unreadable' : payload.toString('latin1', at + 4, at + 6);
}

export class MllpLane {
  private pending: Buffer = Buffer.alloc(0);
  private waiter: ((ack: Buffer | Error) => void) | undefined;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
      const end = this.pending.indexOf(END);
      if (end < 0) return;
      const ack = this.pending.subarray(this.pending.lastIndexOf(0x0b, end) + 1, end);
      this.pending = this.pending.subarray(end + END.length);
      this.settle(Buffer.from(ack));
    });
    socket.on('error', (err) => this.settle(err));
    socket.on('close', () => this.settle(new Error('the connection closed before the ACK')));
  }

  static connect(port: number): Promise<MllpLane> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => {
        socket.off('error', reject);
        resolve(new MllpLane(socket));
      });
      socket.once('error', reject);
    });
  }

  exchange(framed: Buffer, timeoutMs: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.settle(new Error(`no ACK within ${timeoutMs} ms`)), timeoutMs);
      this.waiter = (ack) => {
        clearTimeout(timer);
        if (ack instanceof Error) reject(ack);
        else resolve(ack);
      };
      this.socket.write(framed);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private settle(result: Buffer | Error): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.(result);
  }
}

export interface LoadOptions {
  port: number;
  connections: number;
  /** Sent and discarded before the measured period: connections open, JIT warm, pools filled. */
  warmupMs: number;
  durationMs: number;
  /** The next message to send, already framed; called once per send, from every connection. */
  next: () => Buffer;
  /** Messages per second across all connections; as fast as the ACKs come when absent. */
  rate?: number;
  ackTimeoutMs?: number;
  /** Called about once a second with counts only. */
  onSecond?: (s: { elapsedS: number; acked: number; perSecond: number }) => void;
  signal?: AbortSignal;
  /** Processes whose CPU seconds to meter, from the first send until the last ACK (connections open the whole time). */
  meter?: Record<string, () => number | undefined>;
}

export interface LoadResult {
  connections: number;
  measuredSeconds: number;
  /** ACKs received for messages sent inside the measured period (whatever their code). */
  acked: number;
  /** Every exchange completed, warm-up included: the count the CPU figures are divided by. */
  total: number;
  /** CPU seconds per part (server, PostgreSQL, this load generator) over warm-up and measured period, when metered. */
  cpu?: Record<string, number>;
  messagesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** MSA-1 codes of every ACK in the measured period. */
  codes: Record<string, number>;
  errors: number;
  firstError: string | undefined;
}

export function percentile(sorted: Float64Array | number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** A closed loop per connection (or paced to `rate`), for warm-up + duration; a message sent before the end is waited for. */
export async function runMllpLoad(options: LoadOptions): Promise<LoadResult> {
  const timeoutMs = options.ackTimeoutMs ?? 30_000;
  const lanes = await Promise.all(Array.from({ length: options.connections }, () => MllpLane.connect(options.port)));
  const meter = options.meter ? cpuMeter(options.meter) : undefined;
  const started = performance.now();
  const measureFrom = started + options.warmupMs;
  const stopAt = measureFrom + options.durationMs;
  const latencies: number[] = [];
  const codes: Record<string, number> = {};
  let errors = 0;
  let firstError: string | undefined;
  let slot = 0;
  let ackedTotal = 0;

  let lastTick = started;
  let lastAcked = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    options.onSecond?.({ elapsedS: (now - started) / 1000, acked: ackedTotal, perSecond: ((ackedTotal - lastAcked) * 1000) / (now - lastTick) });
    lastTick = now;
    lastAcked = ackedTotal;
  }, 1000);

  const lane = async (l: MllpLane) => {
    while (!options.signal?.aborted) {
      if (options.rate) {
        // Paced: each send takes the next slot of one shared schedule, so K connections together keep the rate.
        const due = started + (slot++ * 1000) / options.rate;
        if (due >= stopAt) return;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const sentAt = performance.now();
      if (sentAt >= stopAt) return;
      try {
        const ack = await l.exchange(options.next(), timeoutMs);
        ackedTotal++;
        if (sentAt >= measureFrom) {
          latencies.push(performance.now() - sentAt);
          const code = ackCode(ack);
          codes[code] = (codes[code] ?? 0) + 1;
        }
      } catch (err) {
        errors++;
        firstError ??= err instanceof Error ? err.message : String(err);
        return;
      }
    }
  };
  let cpu: Record<string, number> | undefined;
  try {
    await Promise.all(lanes.map(lane));
    cpu = meter?.read();
  } finally {
    clearInterval(ticker);
    for (const l of lanes) l.close();
  }
  // The period ends when the last message sent inside it is acknowledged, so slow last ACKs are not left out.
  const measuredSeconds = Math.max(performance.now(), stopAt) - measureFrom;
  const sorted = Float64Array.from(latencies).sort();
  return {
    connections: options.connections,
    measuredSeconds: measuredSeconds / 1000,
    acked: latencies.length,
    total: ackedTotal,
    messagesPerSecond: latencies.length / (measuredSeconds / 1000),
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
    codes,
    errors,
    firstError,
    ...(cpu ? { cpu } : {}),
  };
}

export interface OrderedMessage {
  controlId: string;
  text: string;
  sendAfter?: string | undefined;
}

/**
 * Sends every message once over K connections, taking them in order; a message whose `sendAfter` is not yet
 * acknowledged waits for it (an earlier message, so already in some connection's hands: this cannot deadlock).
 */
export async function sendInOrder(port: number, messages: readonly OrderedMessage[], connections: number, onProgress?: (done: number) => void): Promise<{ seconds: number; codes: Record<string, number>; errors: number; firstError: string | undefined }> {
  const lanes = await Promise.all(Array.from({ length: connections }, () => MllpLane.connect(port)));
  const acked = new Map<string, Promise<void>>();
  const settle = new Map<string, () => void>();
  for (const m of messages) acked.set(m.controlId, new Promise<void>((r) => settle.set(m.controlId, r)));
  const codes: Record<string, number> = {};
  let next = 0;
  let done = 0;
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const ticker = setInterval(() => onProgress?.(done), 1000);
  const lane = async (l: MllpLane) => {
    while (next < messages.length && errors === 0) {
      const m = messages[next++]!;
      if (m.sendAfter && acked.has(m.sendAfter)) await acked.get(m.sendAfter);
      try {
        const code = ackCode(await l.exchange(frame(m.text), 60_000));
        codes[code] = (codes[code] ?? 0) + 1;
      } catch (err) {
        errors++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
      done++;
      settle.get(m.controlId)?.();
    }
  };
  try {
    await Promise.all(lanes.map(lane));
  } finally {
    clearInterval(ticker);
    for (const l of lanes) l.close();
  }
  return { seconds: (performance.now() - started) / 1000, codes, errors, firstError };
}
