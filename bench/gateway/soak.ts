import { adminQuery, type BenchCluster } from './pg-cluster.ts';
import { runMllpLoad, type LoadResult } from './mllp-load.ts';
import { TrafficPool, type Traffic } from './traffic.ts';
import { startVigilProcess, warningSummary, type LiveHeapSample, type VigilProcess } from './vigil-processes.ts';

/**
 * Goal 3: memory stays flat. One api and one worker process run the whole path (receive, store, ACK, normalize) at a
 * steady rate for the soak; after a warm-up (JIT, pools, caches, heap sizing) their resident set size is read from
 * /proc/<pid>/status every few seconds. Every message is new (TrafficPool renames the plan's identities per pass), so
 * the patient index, facts and audit trail grow as they would in production, while the processes should not.
 * Both run with `--trace-gc`, so the heap left after each full collection (the live heap, without the slack V8 keeps
 * in proportion to how fast a process allocates) is reported beside the RSS: it tells a leak from heap sizing.
 */
export interface RssSample {
  atS: number;
  apiKiB: number | undefined;
  workerKiB: number | undefined;
}

export interface SoakResult {
  rate: number;
  connections: number;
  warmupS: number;
  soakS: number;
  sampleS: number;
  load: LoadResult;
  samples: RssSample[];
  /** Live heap after each full collection during the soak (after the warm-up), per process. */
  liveHeap: { api: LiveHeapSample[]; worker: LiveHeapSample[] };
  /** Messages still waiting for the worker when the load stopped, and processed by then. */
  backlog: number;
  processed: number;
  warnings: string[];
}

export interface SoakSettings {
  cluster: BenchCluster;
  template: string;
  traffic: Traffic;
  env: (databaseUrl: string) => Record<string, string>;
  rate: number;
  connections: number;
  warmupMs: number;
  soakMs: number;
  sampleMs: number;
  signal: AbortSignal;
}

const mib = (kib: number | undefined) => (kib === undefined ? '—' : (kib / 1024).toFixed(1));

export async function runSoakBench(s: SoakSettings): Promise<SoakResult> {
  const database = 'gw_soak';
  await s.cluster.createDatabase(database, s.template);
  const url = s.cluster.urlOf(database);
  const processes: VigilProcess[] = [];
  try {
    const api = await startVigilProcess({ role: 'api', env: s.env(url), name: 'soak-api', traceGc: true });
    processes.push(api);
    const worker = await startVigilProcess({ role: 'worker', env: s.env(url), name: 'soak-worker', traceGc: true });
    processes.push(worker);
    const pool = new TrafficPool(s.traffic, 20);
    const samples: RssSample[] = [];
    const began = performance.now();
    const afterWarmup = (xs: LiveHeapSample[]) => xs.filter((x) => x.atMs - began >= s.warmupMs).map((x) => ({ atMs: x.atMs - began, mib: x.mib }));
    const sampler = setInterval(() => {
      const atS = (performance.now() - began) / 1000;
      if (atS * 1000 < s.warmupMs - 100) return;
      const sample = { atS, apiKiB: api.rssKiB(), workerKiB: worker.rssKiB() };
      samples.push(sample);
      if (samples.length % 3 === 1) console.log(`    ${atS.toFixed(0)} s: api ${mib(sample.apiKiB)} MiB, worker ${mib(sample.workerKiB)} MiB, ${pool.handedOut.toLocaleString('en-US')} messages sent`);
    }, s.sampleMs);
    let load: LoadResult;
    try {
      load = await runMllpLoad({ port: api.mllpPort!, connections: s.connections, warmupMs: s.warmupMs, durationMs: s.soakMs, rate: s.rate, next: () => pool.next(), signal: s.signal });
    } finally {
      clearInterval(sampler);
    }
    const liveApi = afterWarmup(api.liveHeap());
    const liveWorker = afterWarmup(worker.liveHeap());
    const span = (xs: LiveHeapSample[]) => (xs.length === 0 ? 'no full collection' : `${xs[0]!.mib} → ${xs.at(-1)!.mib} MiB over ${xs.length} full collections`);
    console.log(`    live heap after full collections: api ${span(liveApi)}; worker ${span(liveWorker)}`);
    const [row] = await adminQuery<{ backlog: string; processed: string }>(
      url,
      `SELECT count(*) FILTER (WHERE state IN ('received', 'retrying', 'parked')) AS backlog, count(*) FILTER (WHERE state = 'processed') AS processed FROM gateway_messages`,
    );
    return {
      rate: s.rate,
      connections: s.connections,
      warmupS: s.warmupMs / 1000,
      soakS: s.soakMs / 1000,
      sampleS: s.sampleMs / 1000,
      load,
      samples,
      liveHeap: { api: liveApi, worker: liveWorker },
      backlog: Number(row?.backlog ?? 0),
      processed: Number(row?.processed ?? 0),
      warnings: warningSummary(processes),
    };
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    await s.cluster.dropDatabase(database).catch(() => undefined);
  }
}

/** First and last are each the median of three samples (15 s at the default interval), so one GC cycle does not decide. */
export function rssSummary(values: number[]): { first: number; last: number; max: number; growthPct: number } | undefined {
  if (values.length < 3) return undefined;
  const median3 = (xs: number[]) => [...xs].sort((a, b) => a - b)[1]!;
  const first = median3(values.slice(0, 3));
  const last = median3(values.slice(-3));
  return { first, last, max: Math.max(...values), growthPct: ((last - first) / first) * 100 };
}
