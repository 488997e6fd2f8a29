import { Agent, request } from 'node:http';

/**
 * The bench's HTTP client: one keep-alive connection, one request at a time (a clinician opening a chart waits for it),
 * latency from the request's start to the last byte of the answer. The answer's body is kept only when asked (probes);
 * the measured requests only count its bytes.
 */
export interface Answer {
  status: number;
  ms: number;
  bytes: number;
  /** Server-Timing of the floor routes: step name to milliseconds. */
  steps: Record<string, number>;
  body?: Buffer;
  headers: Record<string, string | string[] | undefined>;
}

export class Client {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });

  constructor(
    private readonly base: string,
    private readonly token: string,
  ) {}

  get(path: string, keepBody = false): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const began = performance.now();
      const req = request(`${this.base}${path}`, { agent: this.agent, headers: { authorization: `Bearer ${this.token}`, accept: 'application/json' } }, (res) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (keepBody) chunks.push(chunk);
        });
        res.on('error', reject);
        res.on('end', () => {
          const ms = performance.now() - began;
          resolve({
            status: res.statusCode ?? 0,
            ms,
            bytes,
            steps: parseServerTiming(res.headers['server-timing']),
            headers: res.headers,
            ...(keepBody ? { body: Buffer.concat(chunks) } : {}),
          });
        });
      });
      req.setTimeout(60_000, () => req.destroy(new Error(`GET ${path.split('?')[0]} took more than 60 s`)));
      req.on('error', reject);
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function parseServerTiming(header: string | string[] | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (typeof header !== 'string') return out;
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().split(';');
    const dur = params.map((p) => /^dur=([\d.]+)$/.exec(p.trim())).find(Boolean);
    if (name && dur) out[name] = (out[name] ?? 0) + Number(dur[1]);
  }
  return out;
}

/** Nearest-rank percentile of ascending values (the same rule as bench/http-load.ts). */
export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(fraction * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 0.5);
}
