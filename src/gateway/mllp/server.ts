import { randomBytes } from 'node:crypto';
import net, { type Socket } from 'node:net';
import tls, { TLSSocket } from 'node:tls';
import { describeError } from '../../errors.ts';
import type { Logger } from '../../observability/logger.ts';
import { MllpConnection, type MllpEvent, type MllpHandler, type MllpPeer } from './connection.ts';

export interface MllpTlsOptions {
  key: string | Buffer;
  cert: string | Buffer;
  /** CAs that client certificates must chain to. */
  ca?: string | Buffer | (string | Buffer)[];
  /** Ask for a client certificate. Node then refuses, at the handshake, a client whose certificate does not verify. */
  requestCert?: boolean;
}

export interface MllpServerOptions {
  /** Default 127.0.0.1: listening on other interfaces is a deliberate choice. */
  host?: string;
  /** 0 picks a free port (see MllpServer.port). */
  port: number;
  tls?: MllpTlsOptions;
  /** A connection with no traffic and no message in hand for this long is closed. */
  idleTimeoutMs: number;
  /** Payload bytes of one frame; a larger frame gets an AR NAK and the connection is closed. */
  maxMessageBytes: number;
  /** Further connections are refused (closed at once) while this many are open. */
  maxConnections?: number;
  handler: MllpHandler;
  onEvent?: (e: MllpEvent) => void;
  logger?: Logger;
  /** Vigil's identity in NAKs the listener writes itself, where the original names no receiver. */
  ackIdentity?: { application?: string; facility?: string };
  /** Upper bound of close(): in-flight handlers that take longer are cut off. Default 10 s. */
  closeTimeoutMs?: number;
  /** After our last ACK, how long to wait for the peer to close before cutting the socket. Default 2 s. */
  closeGraceMs?: number;
  now?: () => Date;
  /** MSH-10 of NAKs the listener writes itself. Default: 20 random hex characters (MSH-10 is ST(20) up to v2.6). */
  newControlId?: () => string;
}

export interface MllpServer {
  /** The port actually listened on. */
  port: number;
  /** Stops accepting, lets in-flight messages finish and their ACKs be written (bounded), then closes every socket. */
  close(): Promise<void>;
  connections(): number;
}

function positiveInteger(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) throw new RangeError(`MLLP option ${name} must be a positive integer.`);
}

function escapeDnValue(value: string): string {
  return value.replace(/[\\,+=<>#;"]/g, (c) => `\\${c}`);
}

function peerOf(socket: Socket): MllpPeer {
  const peer: MllpPeer = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
  if (!(socket instanceof TLSSocket)) return peer;
  peer.tlsAuthorized = socket.authorized;
  const subject = socket.getPeerCertificate()?.subject as Record<string, string | string[]> | undefined;
  if (subject && Object.keys(subject).length > 0) {
    peer.peerCertificateSubject = Object.entries(subject)
      .map(([k, v]) => `${k}=${(Array.isArray(v) ? v : [v]).map(escapeDnValue).join(`+${k}=`)}`)
      .join(',');
  }
  return peer;
}

export async function startMllpServer(options: MllpServerOptions): Promise<MllpServer> {
  if (!Number.isSafeInteger(options.port) || options.port < 0 || options.port > 65535) throw new RangeError('MLLP option port must be 0..65535.');
  positiveInteger('idleTimeoutMs', options.idleTimeoutMs);
  positiveInteger('maxMessageBytes', options.maxMessageBytes);
  positiveInteger('maxConnections', options.maxConnections);
  positiveInteger('closeTimeoutMs', options.closeTimeoutMs);
  positiveInteger('closeGraceMs', options.closeGraceMs);
  if (typeof options.handler !== 'function') throw new TypeError('MLLP option handler must be a function.');

  const log = options.logger?.child({ component: 'mllp' });
  const open = new Set<MllpConnection>();
  const settings = {
    handler: options.handler,
    maxMessageBytes: options.maxMessageBytes,
    idleTimeoutMs: options.idleTimeoutMs,
    closeGraceMs: options.closeGraceMs ?? 2000,
    ackIdentity: options.ackIdentity ?? {},
    now: options.now ?? (() => new Date()),
    newControlId: options.newControlId ?? (() => randomBytes(10).toString('hex')),
    onEvent: options.onEvent,
    log,
  };
  let stopping = false;

  const accept = (socket: Socket) => {
    if (stopping) {
      socket.destroy();
      return;
    }
    const conn = new MllpConnection(socket, Object.freeze(peerOf(socket)), settings);
    open.add(conn);
    void conn.closed.then(() => open.delete(conn));
    options.onEvent?.({ type: 'connection' });
  };

  // allowHalfOpen: a sender may pipeline its messages and half-close; its ACKs must still get out.
  const server = options.tls
    ? tls.createServer({ ...options.tls, allowHalfOpen: true, handshakeTimeout: Math.min(options.idleTimeoutMs, 120_000) }, accept)
    : net.createServer({ allowHalfOpen: true }, accept);
  if (options.maxConnections !== undefined) server.maxConnections = options.maxConnections;
  server.on('drop', () => {
    options.onEvent?.({ type: 'connection-refused' });
    log?.warn('mllp.connection-refused', { count: open.size });
  });
  server.on('tlsClientError', (err: Error) => {
    options.onEvent?.({ type: 'tls-error' });
    log?.info('mllp.tls-refused', describeError(err));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host ?? '127.0.0.1', port: options.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log?.error('mllp.server-error', describeError(err)));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  log?.info('mllp.listening', { port });

  let closing: Promise<void> | undefined;
  const closeTimeoutMs = options.closeTimeoutMs ?? 10_000;
  return {
    port,
    connections: () => open.size,
    close: () => {
      closing ??= (async () => {
        stopping = true;
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, closeTimeoutMs)));
        await Promise.race([Promise.all([...open].map(async (c) => { await c.shutdown(); await c.closed; })), deadline]);
        clearTimeout(timer);
        for (const c of open) c.destroy();
        await stopped;
        log?.info('mllp.closed', { port });
      })();
      return closing;
    },
  };
}
