import autocannon from 'autocannon';
import { percentile, type LoadFigures, type LoadSettings } from './http-load.ts';

/**
 * http-load.ts's measure(), with request headers (a bearer token) and the wall-clock bounds of the measured period,
 * which the sealing-lag query needs to pick out the audit events of this run. measure() takes no headers, and the
 * other benchmarks share it, so this is a variant rather than a change to it.
 */
export interface TimedLoadFigures extends LoadFigures {
  /** Date.now() when the measured period began and when its last response had arrived. */
  measuredFromMs: number;
  measuredToMs: number;
}

interface RawRun {
  result: autocannon.Result;
  latenciesMs: number[];
}

function fire(url: string, settings: LoadSettings, seconds: number, headers: Record<string, string>): Promise<RawRun> {
  return new Promise((resolve, reject) => {
    const latenciesMs: number[] = [];
    const instance = autocannon(
      { url, headers, connections: settings.connections, pipelining: settings.pipelining, duration: seconds },
      (err, result) => (err ? reject(err) : resolve({ result, latenciesMs })),
    );
    // autocannon's histogram rounds to whole milliseconds; each response's own timing is kept instead.
    instance.on('response', (_client, _status, _bytes, responseTimeMs) => {
      latenciesMs.push(responseTimeMs);
    });
  });
}

export async function measureWithHeaders(url: string, settings: LoadSettings, headers: Record<string, string>): Promise<TimedLoadFigures> {
  if (settings.warmupSeconds > 0) await fire(url, settings, settings.warmupSeconds, headers);
  const measuredFromMs = Date.now();
  const { result, latenciesMs } = await fire(url, settings, settings.durationSeconds, headers);
  const measuredToMs = Date.now();
  const sorted = Array.from(Float64Array.from(latenciesMs).sort());
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stat.count ?? 0;
  return {
    requestsPerSecond: result.requests.mean,
    requestsPerSecondSd: result.requests.stddev,
    latencyP50Ms: percentile(sorted, 0.5),
    latencyP99Ms: percentile(sorted, 0.99),
    errors: result.errors,
    non2xx: result.non2xx,
    responses: latenciesMs.length,
    statusCodes,
    measuredFromMs,
    measuredToMs,
  };
}
