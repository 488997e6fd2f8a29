import { fileURLToPath } from 'node:url';
import { awaitListening, forkTarget, stopTarget } from '../target-process.ts';
import { prepareCommitPeer, runCommitPeer } from './commit-peer.ts';
import { processCpuSeconds, selfCpuSeconds } from '../support/cpu.ts';
import { runMllpLoad, type LoadResult } from './mllp-load.ts';
import { adminQuery, printStatements, resetStatements, type BenchCluster } from './pg-cluster.ts';
import { TrafficPool, type Traffic } from './traffic.ts';
import { startVigilProcess, warningSummary, type VigilProcess } from './vigil-processes.ts';

/**
 * Goal 1: MLLP to durable ACK. One `vigil start --role api` (MLLP listener, no worker running, so nothing but
 * receive + store + ACK uses the CPU), K connections in original mode. Per K, in the same minute: Vigil, then the
 * commit peer (the same number of connections doing single-row autocommit INSERTs of the same size), then the bare
 * MLLP echo server (the ceiling of loopback TCP + framing + this client).
 */
const ECHO_SCRIPT = fileURLToPath(new URL('./echo-server.ts', import.meta.url));

export interface ReceiveCase {
  connections: number;
  vigil: LoadResult;
  commitPeer: LoadResult;
  echo: LoadResult;
}

export interface ReceiveResult {
  cases: ReceiveCase[];
  database: string;
  poolSize: number;
  apiWarnings: string[];
  rowsStored: number;
  warmupS: number;
  durationS: number;
}

export interface ReceiveSettings {
  cluster: BenchCluster;
  template: string;
  traffic: Traffic;
  env: (databaseUrl: string) => Record<string, string>;
  connections: number[];
  warmupMs: number;
  durationMs: number;
  cpuProfileDir: string | undefined;
  signal: AbortSignal;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');

/** CPU microseconds per message of each metered part, e.g. "server 512 + postgres 380 + client 60 µs". */
export function cpuPerMessage(r: LoadResult): string {
  if (!r.cpu || r.total === 0) return '';
  return Object.entries(r.cpu).map(([part, sec]) => `${part} ${int((sec * 1e6) / r.total)}`).join(' + ') + ' µs CPU/msg';
}

function line(name: string, r: LoadResult): string {
  const codes = Object.entries(r.codes).map(([c, n]) => `${c} ${n}`).join(', ');
  return `    ${name.padEnd(12)} ${int(r.messagesPerSecond).padStart(7)} msg/s  p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms  ${cpuPerMessage(r)}  (${codes}${r.errors ? `; errors ${r.errors}: ${r.firstError}` : ''})`;
}

export async function runReceiveBench(s: ReceiveSettings): Promise<ReceiveResult> {
  const database = 'gw_receive';
  await s.cluster.createDatabase(database, s.template);
  const url = s.cluster.urlOf(database);
  await prepareCommitPeer(url);
  let api: VigilProcess | undefined;
  const echo = forkTarget(ECHO_SCRIPT, {});
  try {
    const echoPort = (await awaitListening<{ type: 'listening'; port: number }>(echo, 30_000)).port;
    api = await startVigilProcess({ role: 'api', env: s.env(url), name: 'receive-api', cpuProfileDir: s.cpuProfileDir });
    const env = s.env(url);
    const poolSize = Number(env.VIGIL_DB_POOL_SIZE ?? 10);
    const cases: ReceiveCase[] = [];
    for (const [i, k] of s.connections.entries()) {
      if (s.signal.aborted) break;
      console.log(`  ${k} connection(s), ${s.warmupMs / 1000} s warm-up + ${s.durationMs / 1000} s each:`);
      const pool = new TrafficPool(s.traffic, i);
      const apiPid = api.pid;
      if (s.cluster.statements) await resetStatements(url);
      const load = { connections: k, warmupMs: s.warmupMs, durationMs: s.durationMs, signal: s.signal };
      const vigil = await runMllpLoad({ ...load, port: api.mllpPort!, next: () => pool.next(), meter: { server: () => processCpuSeconds(apiPid), postgres: s.cluster.cpuSeconds, client: selfCpuSeconds } });
      console.log(line('Vigil', vigil));
      if (s.cluster.statements) await printStatements(url, vigil.total, `Vigil's statements, ${k} connection(s)`);
      const commitPeer = await runCommitPeer({ ...load, url, payloadBytes: s.traffic.meanBytes, meter: { postgres: s.cluster.cpuSeconds, client: selfCpuSeconds } });
      console.log(line('commit peer', commitPeer));
      const echoPool = new TrafficPool(s.traffic, 30 + i);
      const echoPid = echo.pid!;
      const echoResult = await runMllpLoad({ ...load, port: echoPort, next: () => echoPool.next(), meter: { server: () => processCpuSeconds(echoPid), client: selfCpuSeconds } });
      console.log(line('echo', echoResult));
      cases.push({ connections: k, vigil, commitPeer, echo: echoResult });
    }
    const [row] = await adminQuery<{ n: string }>(url, 'SELECT count(*) AS n FROM gateway_messages');
    return { cases, database, poolSize, apiWarnings: warningSummary([api]), rowsStored: Number(row?.n ?? 0), warmupS: s.warmupMs / 1000, durationS: s.durationMs / 1000 };
  } finally {
    await api?.stop();
    await stopTarget(echo);
    await s.cluster.dropDatabase(database).catch(() => undefined);
  }
}
