import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SETTINGS } from '../../src/config/settings.ts';

/**
 * `vigil start --role api|worker` as an operator runs it: the real CLI in its own process, configured by environment.
 * The bench reads only what it needs from the processes' log lines (event names and ports, never fields with
 * content) and keeps the last few kilobytes to explain a failure.
 */
const BIN = resolve('bin/vigil.mjs');
const KEEP_LOG_CHARS = 64 * 1024;

export interface VigilProcess {
  role: 'api' | 'worker';
  child: ChildProcess;
  pid: number;
  /** The MLLP port (api role), once listening. */
  mllpPort: number | undefined;
  /** The HTTP port (api role), once listening. */
  httpPort: number | undefined;
  /** Count of log lines at warn or above since start (failed messages, failed batches). */
  warnings(): number;
  /** Warn-and-above lines by event name, for the report. */
  warningEvents(): Record<string, number>;
  /** Resident set size in KiB from /proc/<pid>/status, or undefined once the process is gone. */
  rssKiB(): number | undefined;
  /** With StartVigilOptions.traceGc: the live heap after each full collection so far, oldest first. */
  liveHeap(): LiveHeapSample[];
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with how it ended. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; killed: boolean }>;
}

const running = new Set<ChildProcess>();

/** Every Vigil process this bench started and that is still running, killed at once (interrupt and exit paths). */
export function killAllVigil(): void {
  for (const child of running) child.kill('SIGKILL');
}

/** The parent's environment without any Vigil setting, so a developer's shell cannot change what is measured. */
export function cleanEnvironment(settings: Record<string, string>): Record<string, string> {
  const ours = new Set(SETTINGS.map((s) => s.env));
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !ours.has(k) && k !== 'VIGIL_CONFIG_FILE') env[k] = v;
  return { ...env, ...settings };
}

/** A bench's Vigil process: loopback only, ephemeral ports, info logs (parsed for readiness), the given database and key. */
export function benchVigilEnv(databaseUrl: string, kek: string, dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return cleanEnvironment({
    VIGIL_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: '0',
    MLLP_PORT: '0',
    VIGIL_MLLP_HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    DATABASE_URL: databaseUrl,
    VIGIL_KEK: kek,
    VIGIL_DATA_DIR: dataDir,
    ...extra,
  });
}

export function readRssKiB(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export interface StartVigilOptions {
  role: 'api' | 'worker';
  env: Record<string, string>;
  /** A folder for V8 CPU profiles (`node --cpu-prof`), written when the process exits. */
  cpuProfileDir?: string | undefined;
  name: string;
  timeoutMs?: number;
  /** Run with `node --trace-gc` and keep the live heap after each full collection (see VigilProcess.liveHeap). */
  traceGc?: boolean;
}

/** The heap left after one full (mark-compact) collection: what the process holds, without V8's slack. */
export interface LiveHeapSample {
  atMs: number;
  mib: number;
}

// `[pid:isolate]  12345 ms: Mark-Compact 48.1 (81.2) -> 33.5 (79.7) MB, ...`
const MARK_COMPACT = /^\[\d+:(0x[0-9a-f]+)\]\s+\d+ ms: Mark-Compact(?: \(reduce\))? [\d.]+ \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB/;

/** Starts the process and resolves once its database is ready (and, for api, MLLP listens; for worker, jobs run). */
export async function startVigilProcess(options: StartVigilOptions): Promise<VigilProcess> {
  // One folder per process: tsx's loader runs in a worker thread that writes a profile of its own beside the main one.
  const nodeArgs = options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(options.cpuProfileDir, options.name)}`] : [];
  if (options.traceGc) nodeArgs.push('--trace-gc');
  const child = spawn(process.execPath, [...nodeArgs, BIN, 'start', '--role', options.role], { env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      res({ code, signal });
    }),
  );
  let tail = '';
  let partial = '';
  let warnings = 0;
  const warnEvents = new Map<string, number>();
  const seen = new Set<string>();
  let mllpPort: number | undefined;
  let httpPort: number | undefined;
  // Per isolate: tsx's loader thread is an isolate of its own; the process's heap is the one that collects most.
  const liveByIsolate = new Map<string, LiveHeapSample[]>();
  const onLine = (line: string) => {
    const gc = MARK_COMPACT.exec(line);
    if (gc) {
      const list = liveByIsolate.get(gc[1]!) ?? [];
      list.push({ atMs: performance.now(), mib: Number(gc[2]) });
      liveByIsolate.set(gc[1]!, list);
      return;
    }
    const level = /"level":"(\w+)"/.exec(line)?.[1];
    const event = /"msg":"([a-z0-9_.-]+)"/.exec(line)?.[1];
    if (event) seen.add(event);
    if (event === 'mllp.listening') mllpPort = Number(/"port":(\d+)/.exec(line)?.[1]);
    if (event === 'http.listening') httpPort = Number(/"port":(\d+)/.exec(line)?.[1]);
    if (level === 'warn' || level === 'error' || level === 'fatal') {
      warnings++;
      if (event) warnEvents.set(event, (warnEvents.get(event) ?? 0) + 1);
    }
  };
  const onData = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    tail = (tail + text).slice(-KEEP_LOG_CHARS);
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);

  const needed = options.role === 'api' ? ['database.ready', 'mllp.listening', 'http.listening'] : ['database.ready', 'worker.started'];
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (!needed.every((e) => seen.has(e))) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`vigil ${options.role} (${options.name}) exited before it was ready; its last log events: ${lastEvents(tail)}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`vigil ${options.role} (${options.name}) was not ready within ${options.timeoutMs ?? 60_000} ms; its last log events: ${lastEvents(tail)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  let stopping: Promise<{ code: number | null; signal: NodeJS.Signals | null; killed: boolean }> | undefined;
  return {
    role: options.role,
    child,
    pid: child.pid!,
    get mllpPort() {
      return mllpPort;
    },
    get httpPort() {
      return httpPort;
    },
    warnings: () => warnings,
    warningEvents: () => Object.fromEntries(warnEvents),
    rssKiB: () => readRssKiB(child.pid!),
    liveHeap: () => [...liveByIsolate.values()].sort((a, b) => b.length - a.length)[0] ?? [],
    stop(graceMs = 20_000) {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), graceMs)));
        const first = await Promise.race([exited, late]);
        clearTimeout(timer);
        if (first !== 'late') return { ...first, killed: false };
        child.kill('SIGKILL');
        return { ...(await exited), killed: true };
      })();
      return stopping;
    },
  };
}

/** Warning counts of several processes added up, as "event ×n" most frequent first. */
export function warningSummary(processes: readonly VigilProcess[]): string[] {
  const total = new Map<string, number>();
  for (const p of processes) for (const [e, n] of Object.entries(p.warningEvents())) total.set(e, (total.get(e) ?? 0) + n);
  return [...total].sort((a, b) => b[1] - a[1]).map(([e, n]) => `${e} ×${n}`);
}

/** The event names of the last log lines: enough to say why a process failed without printing its fields. */
function lastEvents(tail: string): string {
  const events = [...tail.matchAll(/"level":"(\w+)"[^\n]*?"msg":"([a-z0-9_.-]+)"/g)].slice(-6).map((m) => `${m[2]} (${m[1]})`);
  const plain = tail.split('\n').filter((l) => l && !l.startsWith('{')).slice(-3).map((l) => l.slice(0, 200));
  return [...events, ...plain].join('; ') || 'none';
}
