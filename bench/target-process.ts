import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { TargetMessage, TargetSpec } from './target-server.ts';

const TARGET_SCRIPT = fileURLToPath(new URL('./target-server.ts', import.meta.url));
const START_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 20_000;
/** How long a stopped server's process may take to end by itself before it is killed. */
export const EXIT_TIMEOUT_MS = 2_000;

/** A server under test running in its own child process. */
export interface TargetProcess {
  url: string;
  /** Time from the child's first line of bench code to "listening and ready", in milliseconds. */
  startMs: number;
  /**
   * Asks the server to shut down gracefully. `drained`: the server said every request finished; `exitedOnItsOwn`:
   * the child process ended within EXIT_TIMEOUT_MS of stopping without being killed (nothing kept its event loop alive).
   */
  stop(): Promise<{ drained: boolean; exitedOnItsOwn: boolean }>;
}

const children = new Set<ChildProcess>();

/** Kills any target still running (used when the run is interrupted). */
export function killAllTargets(): void {
  for (const child of children) child.kill('SIGKILL');
}

/** Forks a bench child script with the same Node flags and stdio for every target, tracked for killAllTargets. */
export function forkTarget(script: string, spec: unknown): ChildProcess {
  const child = fork(script, [JSON.stringify(spec)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** The next IPC message `accept` takes, or an error when the child exits or stays silent past the timeout. */
export function nextMessage<M>(child: ChildProcess, timeoutMs: number, waitingFor: string, accept: (m: M) => boolean = () => true): Promise<M> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`the target process did not report "${waitingFor}" within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (message: M) => {
      if (accept(message)) finish(undefined, message);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      finish(new Error(`the target process exited (code ${code ?? 'none'}, signal ${signal ?? 'none'}) before "${waitingFor}"`));
    function finish(err: Error | undefined, message?: M) {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(message!);
    }
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

export async function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  const exited = once(child, 'exit').then(() => true);
  const timedOut = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
  return Promise.race([exited, timedOut]);
}

type StartupMessage = { type: 'listening' } | { type: 'failed'; message: string } | { type: string };

/** Waits for the child's first message; anything but "listening" ends the child and throws. */
export async function awaitListening<M extends StartupMessage>(child: ChildProcess, timeoutMs: number): Promise<Extract<M, { type: 'listening' }>> {
  let first: M;
  try {
    first = await nextMessage<M>(child, timeoutMs, 'listening');
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  if (first.type !== 'listening') {
    await waitForExit(child, EXIT_TIMEOUT_MS);
    child.kill('SIGKILL');
    throw new Error(first.type === 'failed' && 'message' in first ? String(first.message) : `unexpected message "${first.type}" from the target process`);
  }
  return first as Extract<M, { type: 'listening' }>;
}

/** Asks the child to stop gracefully, then makes sure it is gone (killed when it does not end by itself). */
export async function stopTarget(child: ChildProcess): Promise<{ drained: boolean; exitedOnItsOwn: boolean }> {
  let drained = false;
  try {
    const reply = nextMessage<{ type: string; drained?: boolean }>(child, STOP_TIMEOUT_MS, 'stopped', (m) => m.type === 'stopped');
    child.send({ type: 'stop' });
    drained = (await reply).drained === true;
  } catch {
    drained = false;
  }
  const exitedOnItsOwn = await waitForExit(child, EXIT_TIMEOUT_MS);
  if (!exitedOnItsOwn) {
    child.kill('SIGKILL');
    await waitForExit(child, EXIT_TIMEOUT_MS);
  }
  return { drained, exitedOnItsOwn };
}

/** Forks bench/target-server.ts and waits until it listens. */
export async function startTarget(spec: TargetSpec): Promise<TargetProcess> {
  const child = forkTarget(TARGET_SCRIPT, spec);
  const first = await awaitListening<TargetMessage>(child, START_TIMEOUT_MS);
  let stopped: Promise<{ drained: boolean; exitedOnItsOwn: boolean }> | undefined;
  return { url: first.url, startMs: first.startMs, stop: () => (stopped ??= stopTarget(child)) };
}
