/**
 * One server under test, run in its own child process (forked by bench/run.ts) so that the load generator and the
 * server do not share an event loop. The bare Fastify baseline and Vigil are started the same way (same Node flags,
 * same loader, same process shape), so the difference between them is Vigil's stack.
 *
 * Protocol over the IPC channel:
 *   child -> parent  { type: 'listening', url, startMs } | { type: 'failed', message }
 *   parent -> child  { type: 'stop' }
 *   child -> parent  { type: 'stopped', drained }   then the child exits
 */
import Fastify from 'fastify';
import pino from 'pino';
import { loadConfig } from '../src/config/load.ts';
import { createLogger } from '../src/observability/logger.ts';
import { startVigil } from '../src/runtime/start.ts';

export type TargetSpec =
  | { kind: 'bare-fastify' }
  | {
      kind: 'vigil';
      /** Embedded data folder (used when databaseUrl is absent). */
      dataDir: string;
      databaseUrl?: string;
      /** 'silent': pino's no-op path. 'info': one line per request, serialised and written to /dev/null. */
      logging: 'silent' | 'info';
    };

export type TargetMessage =
  | { type: 'listening'; url: string; startMs: number }
  | { type: 'failed'; message: string }
  | { type: 'stopped'; drained: boolean };

interface RunningTarget {
  url: string;
  stop(): Promise<{ drained: boolean }>;
}

async function startBareFastify(): Promise<RunningTarget> {
  const app = Fastify({ logger: false });
  app.get('/bare', async () => ({ ok: true }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      await app.close();
      return { drained: true };
    },
  };
}

async function startVigilTarget(spec: Extract<TargetSpec, { kind: 'vigil' }>): Promise<RunningTarget> {
  const env: NodeJS.ProcessEnv = {
    VIGIL_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    MLLP_PORT: 'off',
    VIGIL_DATA_DIR: spec.dataDir,
    LOG_LEVEL: spec.logging,
  };
  if (spec.databaseUrl) env.DATABASE_URL = spec.databaseUrl;
  const config = loadConfig({ env });
  const logger = spec.logging === 'info' ? createLogger({ level: 'info', destination: pino.destination('/dev/null') }) : undefined;
  const vigil = await startVigil({ config, role: 'all', demo: true, ...(logger ? { logger } : {}) });
  await vigil.ready;
  if (!vigil.url) throw new Error('Vigil started without an HTTP listener (role should be "all").');
  // vigil.url names "localhost"; the load generator must use the IPv4 loopback address it actually listens on.
  const port = new URL(vigil.url).port;
  return { url: `http://127.0.0.1:${port}`, stop: () => vigil.stop() };
}

function send(message: TargetMessage): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  if (!process.send) throw new Error('bench/target-server.ts is started by bench/run.ts over IPC, not by hand.');
  const spec = JSON.parse(process.argv[2] ?? '') as TargetSpec;
  const started = performance.now();
  let target: RunningTarget;
  try {
    target = spec.kind === 'bare-fastify' ? await startBareFastify() : await startVigilTarget(spec);
  } catch (err) {
    send({ type: 'failed', message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
    process.disconnect();
    return;
  }
  const startMs = performance.now() - started;
  process.on('message', (message: { type?: string }) => {
    if (message.type !== 'stop') return;
    target
      .stop()
      .then(
        ({ drained }) => send({ type: 'stopped', drained }),
        () => send({ type: 'stopped', drained: false }),
      )
      .finally(() => process.disconnect());
  });
  send({ type: 'listening', url: target.url, startMs });
}

await main();
