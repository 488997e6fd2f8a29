import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { cpuMeter } from '../support/cpu.ts';
import { percentile, type LoadResult } from './mllp-load.ts';

/**
 * The durable-commit peer of the receive bench: K connections to the same PostgreSQL, each running single-row
 * `INSERT … VALUES ($1, $2)` in autocommit, one at a time, with a payload the size of the mean stored message. Every
 * ACK Vigil sends stands on at least one such commit, so this is the limit the receive path cannot beat on this
 * server and disk; PostgreSQL's group commit lets more connections share one WAL flush, which is why it rises with K.
 */
export async function prepareCommitPeer(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('CREATE TABLE IF NOT EXISTS bench_commit_peer (id uuid PRIMARY KEY, payload bytea NOT NULL)');
  } finally {
    await client.end();
  }
}

export async function runCommitPeer(options: { url: string; connections: number; warmupMs: number; durationMs: number; payloadBytes: number; meter?: Record<string, () => number | undefined> }): Promise<LoadResult> {
  const clients = await Promise.all(
    Array.from({ length: options.connections }, async () => {
      const c = new pg.Client({ connectionString: options.url, application_name: 'vigil-gateway-bench-peer' });
      await c.connect();
      return c;
    }),
  );
  const payload = randomBytes(Math.round(options.payloadBytes));
  // Read before the connections close: a backend's CPU is then still its own, not yet handed to the postmaster.
  const meter = options.meter ? cpuMeter(options.meter) : undefined;
  const started = performance.now();
  const measureFrom = started + options.warmupMs;
  const stopAt = measureFrom + options.durationMs;
  const latencies: number[] = [];
  let errors = 0;
  let total = 0;
  let firstError: string | undefined;
  const loop = async (c: pg.Client) => {
    // A named statement, as Vigil's pool would reuse a plan: the peer should not pay for parsing what Vigil does not.
    const query = { name: 'bench-peer-insert', text: 'INSERT INTO bench_commit_peer (id, payload) VALUES ($1, $2)' };
    for (let sentAt = performance.now(); sentAt < stopAt; sentAt = performance.now()) {
      try {
        await c.query({ ...query, values: [uuidv7(), payload] });
      } catch (err) {
        errors++;
        firstError ??= err instanceof Error ? err.message : String(err);
        return;
      }
      total++;
      if (sentAt >= measureFrom) latencies.push(performance.now() - sentAt);
    }
  };
  let cpu: Record<string, number> | undefined;
  try {
    await Promise.all(clients.map(loop));
    cpu = meter?.read();
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  }
  const measuredMs = Math.max(performance.now(), stopAt) - measureFrom;
  const sorted = Float64Array.from(latencies).sort();
  return {
    connections: options.connections,
    measuredSeconds: measuredMs / 1000,
    acked: latencies.length,
    total,
    messagesPerSecond: latencies.length / (measuredMs / 1000),
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
    codes: { committed: latencies.length },
    errors,
    firstError,
    ...(cpu ? { cpu } : {}),
  };
}
