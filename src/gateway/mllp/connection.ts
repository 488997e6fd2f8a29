import type { Socket } from 'node:net';
import { ackContextOf, buildAck, type AckCode, type AckError } from '../../adapters/hl7v2/index.ts';
import { describeError } from '../../errors.ts';
import { stackFrames, type Logger } from '../../observability/logger.ts';
import { encodeFrame, MllpFrameDecoder } from './framing.ts';

export interface MllpPeer {
  address: string;
  port: number;
  /** TLS only: whether the client certificate verified against the configured CAs. */
  tlsAuthorized?: boolean;
  /** TLS only, when the client presented a certificate: its subject, RFC 4514 style (`C=..,O=..,CN=..`). */
  peerCertificateSubject?: string;
}

/**
 * Answers one message with the bytes of its acknowledgment (a string is sent as UTF-8). An empty answer sends
 * nothing, for enhanced-mode senders that asked for no accept acknowledgment (MSH-15 NE).
 */
export type MllpHandler = (payload: Buffer, peer: MllpPeer) => Promise<Buffer | string>;

export type MllpEventType = 'connection' | 'connection-refused' | 'tls-error' | 'frame' | 'junk' | 'oversize' | 'malformed-end' | 'idle-timeout' | 'handler-error';

export interface MllpEvent {
  type: MllpEventType;
  bytes?: number;
}

export interface ConnectionSettings {
  handler: MllpHandler;
  maxMessageBytes: number;
  idleTimeoutMs: number;
  /** How long a closing connection waits for the peer to close its side after the last ACK before it is cut. */
  closeGraceMs: number;
  ackIdentity: { application?: string; facility?: string };
  now: () => Date;
  newControlId: () => string;
  onEvent?: ((e: MllpEvent) => void) | undefined;
  log?: Logger | undefined;
}

type Work = { kind: 'frame'; payload: Buffer } | { kind: 'reject'; reason: 'oversize' | 'malformed-end'; payload: Buffer };

// Frames decoded but not yet handled before the socket is paused; a chunk can still carry more, so this is a target.
const MAX_QUEUED_FRAMES = 8;

const HANDLER_FAILED: AckError = { hl7ErrorCode: 207, severity: 'E', diagnostic: 'The receiver could not process the message; it was not accepted. Send it again later.' };
const MALFORMED_END: AckError = { hl7ErrorCode: 207, severity: 'E', diagnostic: 'The MLLP end block was not 0x1C 0x0D; the message was not accepted.' };

/**
 * One MLLP connection: decodes frames, hands them to the handler strictly one at a time, and writes each ACK before
 * the next message is handled, so a pipelining sender gets its ACKs in order.
 */
export class MllpConnection {
  readonly closed: Promise<void>;
  private readonly decoder: MllpFrameDecoder;
  private readonly queue: Work[] = [];
  private queuedBytes = 0;
  private running = false;
  private inHandler = false;
  /** Read and drop everything: after an oversize frame, or while shutting down. */
  private discarding = false;
  private peerEnded = false;
  private isClosed = false;
  private readonly idle: NodeJS.Timeout;
  private grace: NodeJS.Timeout | undefined;
  private drained: (() => void)[] = [];

  constructor(
    private readonly socket: Socket,
    readonly peer: MllpPeer,
    private readonly s: ConnectionSettings,
  ) {
    this.decoder = new MllpFrameDecoder({ maxMessageBytes: s.maxMessageBytes });
    this.idle = setTimeout(() => this.onIdle(), s.idleTimeoutMs);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => {
      this.peerEnded = true;
      this.endIfDone();
    });
    socket.on('error', (err) => this.s.log?.debug('mllp.socket-error', { ...describeError(err), port: this.peer.port }));
    socket.once('close', () => {
      this.isClosed = true;
      clearTimeout(this.idle);
      clearTimeout(this.grace);
      this.dropQueue();
      this.wakeDrained();
    });
  }

  /** Server shutdown: no new message is started; the one in flight finishes and its ACK is written, then the socket ends. */
  async shutdown(): Promise<void> {
    this.discarding = true;
    // Unstarted messages were never acknowledged, so the sender still owns them and will send them again.
    this.dropQueue();
    this.socket.resume();
    if (this.running) await new Promise<void>((resolve) => this.drained.push(resolve));
    this.closeGracefully();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private emit(type: MllpEventType, bytes?: number): void {
    this.s.onEvent?.(bytes === undefined ? { type } : { type, bytes });
  }

  private onData(chunk: Buffer): void {
    this.idle.refresh();
    if (this.discarding) return;
    for (const item of this.decoder.push(chunk)) {
      if (item.type === 'frame') {
        // An empty frame carries no message (some senders use one as a keep-alive): nothing to acknowledge.
        if (item.payload.length === 0) this.emit('junk', 3);
        else {
          this.emit('frame', item.payload.length);
          this.enqueue({ kind: 'frame', payload: item.payload });
        }
      } else if (item.type === 'junk') {
        this.emit('junk', item.bytes);
      } else if (item.type === 'malformed-end') {
        this.emit('malformed-end', item.payload.length);
        this.s.log?.warn('mllp.malformed-end', { port: this.peer.port, count: item.payload.length });
        this.enqueue({ kind: 'reject', reason: 'malformed-end', payload: item.payload });
      } else {
        this.emit('oversize', item.bytes);
        this.s.log?.warn('mllp.oversize', { port: this.peer.port, count: item.bytes });
        this.enqueue({ kind: 'reject', reason: 'oversize', payload: item.head });
        // The connection ends after the NAK; whatever else the sender writes is read and dropped, never buffered.
        this.discarding = true;
        break;
      }
    }
    this.applyBackpressure();
    void this.pump();
  }

  private enqueue(work: Work): void {
    this.queue.push(work);
    this.queuedBytes += work.payload.length;
  }

  private dropQueue(): void {
    this.queue.length = 0;
    this.queuedBytes = 0;
  }

  private applyBackpressure(): void {
    const full = !this.discarding && (this.queue.length >= MAX_QUEUED_FRAMES || this.queuedBytes >= this.s.maxMessageBytes);
    if (full && !this.socket.isPaused()) this.socket.pause();
    else if (!full && this.socket.isPaused()) this.socket.resume();
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let work = this.queue.shift(); work && !this.isClosed; work = this.queue.shift()) {
        this.queuedBytes -= work.payload.length;
        this.applyBackpressure();
        if (work.kind === 'frame') await this.answer(work.payload);
        else await this.reject(work.reason, work.payload);
      }
    } catch (err) {
      // Only a bug of ours gets here (the handler's errors are answered); never leave the sender guessing.
      this.s.log?.error('mllp.connection-failed', { ...describeError(err), err_frames: stackFrames(err) });
      this.socket.destroy();
    } finally {
      this.running = false;
      this.wakeDrained();
      this.endIfDone();
    }
  }

  private async answer(payload: Buffer): Promise<void> {
    let framed: Buffer | undefined;
    this.inHandler = true;
    try {
      const ack = await this.s.handler(payload, this.peer);
      if (typeof ack !== 'string' && !Buffer.isBuffer(ack)) throw new TypeError('The MLLP handler must return a Buffer or a string.');
      framed = ack.length === 0 ? Buffer.alloc(0) : encodeFrame(ack);
    } catch (err) {
      this.emit('handler-error');
      this.s.log?.warn('mllp.handler-error', { ...describeError(err), err_frames: stackFrames(err), port: this.peer.port });
      // Never a positive ACK for a message the handler did not finish; without a readable header, no NAK can be
      // matched to it, so the connection is closed and the sender will send it again.
      framed = this.nak(payload, 'AE', HANDLER_FAILED, false);
      if (!framed) {
        this.socket.destroy();
        return;
      }
    } finally {
      this.inHandler = false;
    }
    if (framed.length > 0) await this.write(framed);
  }

  private async reject(reason: 'oversize' | 'malformed-end', payload: Buffer): Promise<void> {
    if (reason === 'malformed-end') {
      await this.write(this.nak(payload, 'AR', MALFORMED_END, true)!);
      return;
    }
    const tooBig: AckError = { hl7ErrorCode: 207, severity: 'E', diagnostic: `The message is larger than this receiver accepts (${this.s.maxMessageBytes} bytes); it was not accepted.` };
    await this.write(this.nak(payload, 'AR', tooBig, true)!);
    this.closeGracefully();
  }

  /** A framed NAK naming the message's control id; the minimal one (empty MSA-2) only when `minimal` allows it. */
  private nak(payload: Buffer, code: AckCode, error: AckError, minimal: boolean): Buffer | undefined {
    const ctx = ackContextOf(payload);
    if (!ctx && !minimal) return undefined;
    const text = buildAck(ctx?.header, { code, error }, {
      now: this.s.now(),
      controlId: this.s.newControlId(),
      ...(this.s.ackIdentity.application === undefined ? {} : { sendingApplication: this.s.ackIdentity.application }),
      ...(this.s.ackIdentity.facility === undefined ? {} : { sendingFacility: this.s.ackIdentity.facility }),
      ...(ctx?.delimiters ? { delimiters: ctx.delimiters } : {}),
    });
    return encodeFrame(text);
  }

  private write(data: Buffer): Promise<void> {
    return new Promise((resolve) => {
      if (this.isClosed || !this.socket.writable) return resolve();
      this.socket.write(data, (err) => {
        if (err) this.socket.destroy();
        else this.idle.refresh();
        resolve();
      });
    });
  }

  private onIdle(): void {
    if (this.isClosed) return;
    // A slow handler is not an idle peer; a write that has not drained for a whole period is one that stopped reading.
    if (this.inHandler) {
      this.idle.refresh();
      return;
    }
    this.emit('idle-timeout');
    this.s.log?.debug('mllp.idle-timeout', { port: this.peer.port });
    this.closeGracefully();
  }

  /** Ends our side, keeps reading (and dropping) so the peer's unread bytes do not turn the close into a reset. */
  private closeGracefully(): void {
    if (this.isClosed || this.grace) return;
    this.discarding = true;
    this.dropQueue();
    this.socket.resume();
    this.socket.end();
    this.grace = setTimeout(() => this.socket.destroy(), this.s.closeGraceMs);
  }

  /** The sender half-closed: answer what it sent, then close our side. */
  private endIfDone(): void {
    if (this.peerEnded && !this.running && this.queue.length === 0 && !this.isClosed) this.closeGracefully();
  }

  private wakeDrained(): void {
    const waiters = this.drained;
    this.drained = [];
    for (const w of waiters) w();
  }
}
