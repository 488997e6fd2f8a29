import net from 'node:net';
import tls from 'node:tls';
import { parseHl7Message, type Hl7Message } from '../../src/adapters/hl7v2/index.ts';

/**
 * A plain-socket MLLP client for tests. It splits answers on <FS><CR> itself rather than with the decoder under
 * test, so a framing bug cannot hide in both ends.
 */
export class RawMllpClient {
  readonly acks: Buffer[] = [];
  readonly closed: Promise<void>;
  private pending = Buffer.alloc(0);
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.pending = Buffer.concat([this.pending, chunk]);
      for (let end = this.pending.indexOf('\x1c\r'); end >= 0; end = this.pending.indexOf('\x1c\r')) {
        const start = this.pending.indexOf(0x0b);
        this.acks.push(Buffer.from(this.pending.subarray(start + 1, end)));
        this.pending = this.pending.subarray(end + 2);
      }
      this.wake();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.wake();
        resolve();
      }),
    );
  }

  static connect(port: number, tlsOptions?: tls.ConnectionOptions): Promise<RawMllpClient> {
    return new Promise((resolve, reject) => {
      const socket = tlsOptions
        ? tls.connect({ host: '127.0.0.1', port, ...tlsOptions }, () => resolve(new RawMllpClient(socket)))
        : net.connect({ host: '127.0.0.1', port }, () => resolve(new RawMllpClient(socket)));
      socket.once('error', reject);
    });
  }

  send(payload: string | Buffer): void {
    const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
    this.socket.write(Buffer.concat([Buffer.from([0x0b]), body, Buffer.from([0x1c, 0x0d])]));
  }

  writeRaw(bytes: string | Buffer): void {
    this.socket.write(bytes);
  }

  /** Resolves when `n` ACKs have arrived; rejects after `timeoutMs` or when the socket closes first. */
  async waitForAcks(n: number, timeoutMs = 5000): Promise<Hl7Message[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.acks.length < n) {
      if (this.socket.destroyed || this.socket.readableEnded) throw new Error(`socket closed after ${this.acks.length} of ${n} ACKs`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${this.acks.length} of ${n} ACKs`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.acks.slice(0, n).map((a) => parseHl7Message(a, { requireTerminator: true }));
  }

  /** Resolves true when the server closed the connection within `timeoutMs`. */
  async closedWithin(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const closed = await Promise.race([this.closed.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))]);
    clearTimeout(timer);
    return closed;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

export function adtMessage(controlId: string, extra = ''): string {
  return `MSH|^~\\&|SENDER|NORTH|VIGIL|CENTRAL|20240101120000||ADT^A01^ADT_A01|${controlId}|P|2.5.1\rEVN|A01|20240101120000\rPID|1||12345^^^H^MR${extra}\r`;
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
