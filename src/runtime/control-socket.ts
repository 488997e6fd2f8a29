import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { VigilError, describeError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';

/**
 * On the embedded database only one process may open the data folder, so maintenance commands (`vigil sources …`)
 * cannot open it while Vigil runs. The running process listens on a Unix socket inside the data folder, readable by
 * its owner only (the same account that owns the database files): a command that finds the folder locked sends its
 * request here instead. One JSON request per connection, one JSON answer.
 */
export type ControlHandler = (args: Record<string, unknown>) => Promise<unknown>;

export interface ControlRequest {
  command: string;
  args: Record<string, unknown>;
}

export type ControlAnswer = { ok: true; result: unknown } | { ok: false; code: string; message: string; status: number };

export function controlSocketPath(dataDir: string): string {
  return join(dataDir, 'control.sock');
}

const MAX_REQUEST_BYTES = 1_048_576;

export async function startControlSocket(dataDir: string, handlers: ReadonlyMap<string, ControlHandler>, logger: Logger): Promise<{ close(): Promise<void> }> {
  const path = controlSocketPath(dataDir);
  // A socket file left by a process that died is stale: the data-folder lock (held by us now) proves nobody uses it.
  if (existsSync(path)) unlinkSync(path);
  const server = net.createServer((socket) => {
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > MAX_REQUEST_BYTES) socket.destroy();
      const end = text.indexOf('\n');
      if (end < 0) return;
      void answer(text.slice(0, end)).then((reply) => socket.end(`${JSON.stringify(reply)}\n`));
    });
    socket.on('error', () => undefined);
  });
  async function answer(line: string): Promise<ControlAnswer> {
    try {
      const request = JSON.parse(line) as ControlRequest;
      const handler = typeof request.command === 'string' ? handlers.get(request.command) : undefined;
      if (!handler) return { ok: false, code: 'unknown-command', message: 'The running Vigil does not take this command over its control socket.', status: 400 };
      return { ok: true, result: await handler(request.args ?? {}) };
    } catch (err) {
      if (err instanceof VigilError) return { ok: false, code: err.code, message: err.message, status: err.status };
      logger.warn('control.failed', describeError(err));
      return { ok: false, code: 'internal-error', message: 'The command failed inside the running Vigil; its log has the error type.', status: 500 };
    }
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  chmodSync(path, 0o600);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        if (existsSync(path)) unlinkSync(path);
      }),
  };
}

/** Sends one request to the Vigil running on `dataDir`. */
export function sendControl(dataDir: string, request: ControlRequest, timeoutMs = 30_000): Promise<ControlAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(controlSocketPath(dataDir));
    let text = '';
    socket.setEncoding('utf8');
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error('control socket timed out')));
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('end', () => {
      try {
        resolve(JSON.parse(text) as ControlAnswer);
      } catch {
        reject(new Error('control socket answered with something that is not JSON'));
      }
    });
    socket.on('error', reject);
  });
}
