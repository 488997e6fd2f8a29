import autocannon from 'autocannon';

/** How hard and how long one case is loaded. The same settings apply to every case of a run. */
export interface LoadSettings {
  connections: number;
  pipelining: number;
  warmupSeconds: number;
  durationSeconds: number;
}

/** What one measured (post warm-up) run of a case produced. */
/** A duration in seconds from the environment variable `name` (0 to 600), or `fallback` when it is unset or empty. */
export function envSeconds(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || n > 600) throw new Error(`${name} must be a number of seconds from 0 to 600 (got "${raw}").`);
  return n;
}

export interface LoadFigures {
  /** Mean of autocannon's per-second request counts. */
  requestsPerSecond: number;
  /** Standard deviation of those per-second counts: how steady the case was within its run. */
  requestsPerSecondSd: number;
  /** Response latency percentiles in milliseconds, from every response's own timing (sub-millisecond resolution). */
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** Connection errors and timeouts. */
  errors: number;
  /** Responses whose status was not 2xx. */
  non2xx: number;
  /** Every response received in the measured run. */
  responses: number;
  /** Status code -> count, to show what the non-2xx answers were. */
  statusCodes: Record<string, number>;
}

interface RawRun {
  result: autocannon.Result;
  latenciesMs: number[];
}

function fire(url: string, settings: LoadSettings, seconds: number): Promise<RawRun> {
  return new Promise((resolve, reject) => {
    const latenciesMs: number[] = [];
    const instance = autocannon(
      { url, connections: settings.connections, pipelining: settings.pipelining, duration: seconds },
      (err, result) => (err ? reject(err) : resolve({ result, latenciesMs })),
    );
    // autocannon's own latency histogram has a resolution of 1 ms, too coarse for a loopback server answering in
    // well under a millisecond; each response's timing is kept here instead.
    instance.on('response', (_client, _status, _bytes, responseTimeMs) => {
      latenciesMs.push(responseTimeMs);
    });
  });
}

/** The value below which `fraction` of the sorted samples lie (nearest rank). */
export function percentile(sortedAscending: readonly number[], fraction: number): number {
  if (sortedAscending.length === 0) return Number.NaN;
  const rank = Math.ceil(fraction * sortedAscending.length);
  return sortedAscending[Math.min(sortedAscending.length, Math.max(1, rank)) - 1]!;
}

/** Loads `url` for the warm-up period (discarded), then for the measured period, and summarises the measured run. */
export async function measure(url: string, settings: LoadSettings): Promise<LoadFigures> {
  if (settings.warmupSeconds > 0) await fire(url, settings, settings.warmupSeconds);
  const { result, latenciesMs } = await fire(url, settings, settings.durationSeconds);
  const sorted = Float64Array.from(latenciesMs).sort();
  const asArray = Array.from(sorted);
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stat.count ?? 0;
  return {
    requestsPerSecond: result.requests.mean,
    requestsPerSecondSd: result.requests.stddev,
    latencyP50Ms: percentile(asArray, 0.5),
    latencyP99Ms: percentile(asArray, 0.99),
    errors: result.errors,
    non2xx: result.non2xx,
    responses: latenciesMs.length,
    statusCodes,
  };
}
