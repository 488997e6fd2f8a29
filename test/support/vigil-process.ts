import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Runs the real `vigil` CLI in a child process, as an operator would. Its output goes to a log file under
 * test-output/logs (scanned for canaries by the test runner) and is kept in memory for assertions; nothing is printed.
 */
export interface VigilProcess {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the URL from the "open http://…" line. */
  url: Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const BIN = resolve('bin/vigil.mjs');
const LOGS = resolve(process.env.VIGIL_TEST_OUTPUT ?? 'test-output', 'logs');

export function runVigil(logName: string, args: string[], env: Record<string, string | undefined>): VigilProcess {
  mkdirSync(LOGS, { recursive: true });
  const log = createWriteStream(join(LOGS, `${logName.replace(/[^a-z0-9-]+/gi, '-')}.log`), { flags: 'a' });
  const clean: Record<string, string> = {};
  // Processes started side by side must not all claim the default MLLP port.
  for (const [k, v] of Object.entries({ MLLP_PORT: '0', ...process.env, ...env })) if (v !== undefined) clean[k] = v;
  const child = spawn(process.execPath, [BIN, ...args], { env: clean, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  let resolveUrl!: (url: string) => void;
  let rejectUrl!: (err: Error) => void;
  const url = new Promise<string>((res, rej) => ((resolveUrl = res), (rejectUrl = rej)));
  url.catch(() => undefined);
  const onData = (chunk: Buffer) => {
    log.write(chunk);
    text += chunk.toString('utf8');
    const match = /open (http:\/\/\S+)/.exec(text);
    if (match) resolveUrl(match[1]!);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.on('close', (code, signal) => {
      log.end();
      rejectUrl(new Error(`vigil exited (code ${code}, signal ${signal}) before printing its URL`));
      res({ code, signal });
    }),
  );
  return {
    child,
    output: () => text,
    url,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timeout = sleep(20_000).then(() => {
        child.kill('SIGKILL');
        return { code: null, signal: 'SIGKILL' as NodeJS.Signals };
      });
      return Promise.race([exited, timeout]);
    },
  };
}

/** Polls a URL until it answers with the wanted status, within a bounded time. */
export async function waitForStatus(url: string, status: number, timeoutMs = 30_000): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(3_000) });
      if (res.status === status) return res;
      last = `status ${res.status}`;
      await res.arrayBuffer();
    } catch (err) {
      last = (err as Error).name;
    }
    await sleep(150);
  }
  throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms (last: ${last})`);
}
