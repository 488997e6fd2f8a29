/**
 * The Vigil process under test for bench/chart/run.ts, forked by it with its configuration in the environment
 * (VIGIL_ENV=production, DATABASE_URL of the bench cluster, a random VIGIL_KEK, 127.0.0.1, LOG_LEVEL=info): Vigil as
 * `vigil start --role all` runs it (HTTP, worker, audit sealer, gateway processor), plus the floor routes of
 * floor.ts, which exist only in this process. The database is migrated and seeded by the bench before this starts.
 *
 * IPC:  child -> parent  { type: 'listening', url, startMs, engine } | { type: 'failed', message }
 *       parent -> child  { type: 'stop' }          child -> parent  { type: 'stopped', drained }
 */
import { loadConfig } from '../../src/config/load.ts';
import { startVigil } from '../../src/runtime/start.ts';
import type { Store } from '../../src/store/store.ts';
import { floorRoutes } from './floor.ts';

export type ChartTargetMessage =
  | { type: 'listening'; url: string; startMs: number; engine: string }
  | { type: 'failed'; message: string }
  | { type: 'stopped'; drained: boolean };

function send(message: ChartTargetMessage): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  if (!process.send) throw new Error('bench/chart/target.ts is started by bench/chart/run.ts over IPC, not by hand.');
  const began = performance.now();
  const config = loadConfig({ env: process.env });
  const started: { store?: Store } = {};
  let vigil: Awaited<ReturnType<typeof startVigil>>;
  try {
    vigil = await startVigil({ config, role: 'all', demo: false, extendApp: floorRoutes(() => started.store) });
    started.store = vigil.store;
    await vigil.ready;
    if (!vigil.url) throw new Error('Vigil started without an HTTP listener');
  } catch (err) {
    send({ type: 'failed', message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
    process.disconnect();
    return;
  }
  process.on('message', (message: { type?: string }) => {
    if (message.type !== 'stop') return;
    vigil
      .stop()
      .then(
        ({ drained }) => send({ type: 'stopped', drained }),
        () => send({ type: 'stopped', drained: false }),
      )
      .finally(() => process.disconnect());
  });
  // The parent lost: nothing may keep this process (and its connections to the cluster) alive.
  process.on('disconnect', () => {
    void vigil.stop().finally(() => setTimeout(() => process.exit(0), 100).unref());
  });
  // vigil.url names "localhost"; the client uses the IPv4 loopback address the server listens on.
  send({ type: 'listening', url: `http://127.0.0.1:${new URL(vigil.url).port}`, startMs: performance.now() - began, engine: vigil.store.engine });
}

await main();
