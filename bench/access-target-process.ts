import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { FixturePerson } from '../test/support/access-fixture.ts';
import type { AccessTargetMessage, AccessTargetRequest, AccessTargetSpec, SealLag } from './access-target.ts';
import { EXIT_TIMEOUT_MS } from './target-process.ts';

/**
 * Forks bench/access-target.ts with the same Node flags and stdio as target-process.ts forks target-server.ts (that
 * helper names its script, so it cannot start this one), and asks it about its audit log over the IPC channel.
 */
const TARGET_SCRIPT = fileURLToPath(new URL('./access-target.ts', import.meta.url));
// Start-up includes migrating a fresh database and seeding the fixture (argon2 for one password).
const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 20_000;
const REQUEST_TIMEOUT_MS = 30_000;

export interface AccessTarget {
  url: string;
  /** From the child's first line of bench code to listening and migrated, without seeding. */
  startMs: number;
  seedMs: number;
  engine: string;
  person: FixturePerson;
  /** The own-team patient: the nurse may read it, with the nurse's field mask. */
  patientId: string;
  auditPending(): Promise<number>;
  sealLag(actorId: string, fromMs: number, toMs: number): Promise<SealLag>;
  stop(): Promise<{ drained: boolean; exitedOnItsOwn: boolean }>;
}

const children = new Set<ChildProcess>();

/** Kills any target still running (used when the run is interrupted). */
export function killAccessTargets(): void {
  for (const child of children) child.kill('SIGKILL');
}

function nextMessage(child: ChildProcess, timeoutMs: number, waitingFor: string, accept: (m: AccessTargetMessage) => boolean = () => true): Promise<AccessTargetMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`the access target did not report "${waitingFor}" within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (message: AccessTargetMessage) => {
      if (accept(message)) finish(undefined, message);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      finish(new Error(`the access target exited (code ${code ?? 'none'}, signal ${signal ?? 'none'}) before "${waitingFor}"`));
    function finish(err: Error | undefined, message?: AccessTargetMessage) {
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

async function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  const exited = once(child, 'exit').then(() => true);
  const timedOut = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
  return Promise.race([exited, timedOut]);
}

export async function startAccessTarget(spec: AccessTargetSpec): Promise<AccessTarget> {
  const child = fork(TARGET_SCRIPT, [JSON.stringify(spec)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let first: AccessTargetMessage;
  try {
    first = await nextMessage(child, START_TIMEOUT_MS, 'listening');
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  if (first.type !== 'listening') {
    await waitForExit(child, EXIT_TIMEOUT_MS);
    child.kill('SIGKILL');
    throw new Error(first.type === 'failed' ? first.message : `unexpected message "${first.type}" from the access target`);
  }

  let nextId = 1;
  async function ask(request: Exclude<AccessTargetRequest, { type: 'stop' }>): Promise<AccessTargetMessage> {
    const reply = nextMessage(child, REQUEST_TIMEOUT_MS, request.type, (m) => 'id' in m && m.id === request.id);
    child.send(request);
    const answer = await reply;
    if (answer.type === 'request-failed') throw new Error(`the access target could not answer "${request.type}": ${answer.message}`);
    return answer;
  }

  let stopped: Promise<{ drained: boolean; exitedOnItsOwn: boolean }> | undefined;
  return {
    url: first.url,
    startMs: first.startMs,
    seedMs: first.seedMs,
    engine: first.engine,
    person: first.person,
    patientId: first.patientId,
    async auditPending() {
      const answer = await ask({ type: 'audit-pending', id: nextId++ });
      if (answer.type !== 'audit-pending') throw new Error(`unexpected answer "${answer.type}"`);
      return answer.pending;
    },
    async sealLag(actorId, fromMs, toMs) {
      const answer = await ask({ type: 'seal-lag', id: nextId++, actorId, fromMs, toMs });
      if (answer.type !== 'seal-lag') throw new Error(`unexpected answer "${answer.type}"`);
      return answer.lag;
    },
    stop: () =>
      (stopped ??= (async () => {
        let drained = false;
        try {
          const reply = nextMessage(child, STOP_TIMEOUT_MS, 'stopped', (m) => m.type === 'stopped');
          child.send({ type: 'stop' } satisfies AccessTargetRequest);
          const answer = await reply;
          drained = answer.type === 'stopped' && answer.drained;
        } catch {
          drained = false;
        }
        const exitedOnItsOwn = await waitForExit(child, EXIT_TIMEOUT_MS);
        if (!exitedOnItsOwn) {
          child.kill('SIGKILL');
          await waitForExit(child, EXIT_TIMEOUT_MS);
        }
        return { drained, exitedOnItsOwn };
      })()),
  };
}
