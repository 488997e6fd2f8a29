import { fileURLToPath } from 'node:url';
import type { FixturePerson } from '../test/support/access-fixture.ts';
import type { AccessTargetMessage, AccessTargetRequest, AccessTargetSpec, SealLag } from './access-target.ts';
import { awaitListening, forkTarget, nextMessage, stopTarget } from './target-process.ts';

/** Forks bench/access-target.ts (with target-process.ts's helpers) and asks it about its audit log over IPC. */
const TARGET_SCRIPT = fileURLToPath(new URL('./access-target.ts', import.meta.url));
// Start-up includes migrating a fresh database and seeding the fixture (argon2 for one password).
const START_TIMEOUT_MS = 120_000;
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

export async function startAccessTarget(spec: AccessTargetSpec): Promise<AccessTarget> {
  const child = forkTarget(TARGET_SCRIPT, spec);
  const first = await awaitListening<AccessTargetMessage>(child, START_TIMEOUT_MS);

  let nextId = 1;
  async function ask(request: Exclude<AccessTargetRequest, { type: 'stop' }>): Promise<AccessTargetMessage> {
    const reply = nextMessage<AccessTargetMessage>(child, REQUEST_TIMEOUT_MS, request.type, (m) => 'id' in m && m.id === request.id);
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
    stop: () => (stopped ??= stopTarget(child)),
  };
}
