import net from 'node:net';

/**
 * One MLLP connection out: one message, wait for its ACK, next. The simulator sends its traffic with it, and the
 * gateway its application acknowledgments. Written over node:net rather than with node-hl7-client 3.2.0 (which this
 * repository depends on and tests its listener with), because both must put their own bytes on the wire and that
 * client does not:
 *   - `new Message({ text })` throws unless the text starts with `MSH`, so garbage frames cannot be sent at all;
 *   - `Message#toString()` drops the final segment's carriage return, so every message it sends ends unterminated and
 *     Vigil (which requires the terminator on MLLP, as HL7 does) answers AR `unterminated-final-segment`;
 *   - `Connection#sendMessage` called while an ACK is outstanding queues the message and opens a second socket, and
 *     in a probe it did not settle within 10 s;
 *   - with `connectionTimeout: 0` a socket the server closed (say, idle during a silent feed) is not noticed, and
 *     later messages are written into it without an error.
 * Reconnects on demand; a lost connection fails the exchange in flight, and the caller decides whether to resend.
 */
const START = 0x0b;
const END = Buffer.from([0x1c, 0x0d]);

export class MllpExchangeError extends Error {}

export class MllpLane {
  private socket: net.Socket | undefined;
  private pending = Buffer.alloc(0);
  private waiter: { resolve: (ack: Buffer) => void; reject: (err: Error) => void } | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly timeoutMs: number,
  ) {}

  /** Sends one framed message and resolves with the payload of the next ACK frame. */
  async exchange(text: string): Promise<Buffer> {
    const socket = await this.connected();
    this.pending = Buffer.alloc(0);
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new MllpExchangeError(`no acknowledgment within ${this.timeoutMs} ms`)), this.timeoutMs);
      this.waiter = {
        resolve: (ack) => {
          clearTimeout(timer);
          resolve(ack);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      socket.write(Buffer.concat([Buffer.from([START]), Buffer.from(text, 'utf8'), END]));
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  private connected(): Promise<net.Socket> {
    if (this.socket && !this.socket.destroyed) return Promise.resolve(this.socket);
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: this.host, port: this.port });
      socket.setNoDelay(true);
      const refuse = (err: Error) => reject(new MllpExchangeError(`cannot connect to ${this.host}:${this.port} (${(err as NodeJS.ErrnoException).code ?? 'error'})`));
      socket.once('error', refuse);
      socket.once('connect', () => {
        socket.off('error', refuse);
        socket.on('error', () => this.fail(new MllpExchangeError('the connection failed')));
        socket.on('close', () => {
          if (this.socket === socket) this.socket = undefined;
          this.fail(new MllpExchangeError('the connection was closed before the acknowledgment'));
        });
        socket.on('data', (chunk: Buffer) => this.receive(chunk));
        this.socket = socket;
        resolve(socket);
      });
    });
  }

  private receive(chunk: Buffer): void {
    this.pending = Buffer.concat([this.pending, chunk]);
    const end = this.pending.indexOf(END);
    if (end < 0) return;
    const start = this.pending.lastIndexOf(START, end);
    const ack = Buffer.from(this.pending.subarray(start + 1, end));
    this.pending = this.pending.subarray(end + END.length);
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.resolve(ack);
  }

  private fail(err: Error): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter) {
      this.close();
      waiter.reject(err);
    }
  }
}
