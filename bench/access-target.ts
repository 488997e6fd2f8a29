/**
 * The server under test for bench/access.ts, in its own child process (forked by access-target-process.ts, the way
 * target-process.ts forks target-server.ts): Vigil on its own database, seeded with the access fixture's hospital,
 * plus two bench-only peers of `GET /fhir/R4/Patient/:id` that exist only in this process:
 *
 * - `/bench/unguarded/Patient/:id`: public to the guard, and PatientService.read with `authorize` replaced by a fixed
 *   permit for every field; same transaction, same patient load, same audit event. Authentication still runs (it runs
 *   on public routes too when a credential comes along), so the only difference is the policy step.
 * - `/bench/unaudited/Patient/:id`: the real route's guard, relation load and decision, but no audit event.
 *
 * The design forbids clinical reads that skip the decision point or the audit; these routes are the measurement of
 * what those two steps cost, so they must never be registered anywhere but here.
 *
 * Protocol over the IPC channel:
 *   child -> parent  { type: 'listening', url, startMs, seedMs, engine, person, patientId } | { type: 'failed', message }
 *   parent -> child  { type: 'audit-pending', id }                       child -> parent  { type: 'audit-pending', id, pending }
 *   parent -> child  { type: 'seal-lag', id, actorId, fromMs, toMs }     child -> parent  { type: 'seal-lag', id, lag }
 *   parent -> child  { type: 'stop' }                                    child -> parent  { type: 'stopped', drained }
 */
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { requestFacts } from '../src/api/request-facts.ts';
import { loadConfig } from '../src/config/load.ts';
import type { Decision } from '../src/controls/access/pdp.ts';
import { PATIENT_FIELD_GROUPS } from '../src/controls/access/policy.ts';
import { projectPatient } from '../src/core/patients/fhir-patient.ts';
import { loadPatient, PatientService } from '../src/core/patients/patient-service.ts';
import { NotFoundError, ServiceUnavailableError, UnauthenticatedError } from '../src/errors.ts';
import { startVigil, type RunningVigil } from '../src/runtime/start.ts';
import type { Store } from '../src/store/store.ts';
import { buildAccessFixture, type FixturePerson } from '../test/support/access-fixture.ts';
import { percentile } from './http-load.ts';

export interface AccessTargetSpec {
  /** Embedded data folder (used when databaseUrl is absent). */
  dataDir: string;
  databaseUrl?: string;
}

export interface SealLag {
  /** Audit events of the measured run (the actor's `patient.read` events recorded inside the window). */
  events: number;
  sealed: number;
  /**
   * Milliseconds from recorded_at to sealed_at. An event still unsealed counts as slower than any sealed one; null
   * means the percentile falls on such an event.
   */
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

export type AccessTargetMessage =
  | { type: 'listening'; url: string; startMs: number; seedMs: number; engine: string; person: FixturePerson; patientId: string }
  | { type: 'failed'; message: string }
  | { type: 'audit-pending'; id: number; pending: number }
  | { type: 'seal-lag'; id: number; lag: SealLag }
  | { type: 'request-failed'; id: number; message: string }
  | { type: 'stopped'; drained: boolean };

export type AccessTargetRequest =
  | { type: 'audit-pending'; id: number }
  | { type: 'seal-lag'; id: number; actorId: string; fromMs: number; toMs: number }
  | { type: 'stop' };

const FHIR_JSON = 'application/fhir+json';
const ALL_PATIENT_FIELDS: readonly string[] = [...new Set(Object.values(PATIENT_FIELD_GROUPS).flat())];
const ID_PARAMS = { type: 'object', properties: { id: { type: 'string', maxLength: 64 } }, required: ['id'] } as const;

/**
 * PatientService.read with the policy step taken out and nothing else changed: `read` calls `authorize` for the
 * relation load and the decision, so replacing that one method leaves the transaction, the patient load, the
 * projection and the audit write exactly as the real route runs them.
 */
class PolicySkippedPatientService extends PatientService {
  // Same reason code as the real read of an own-team patient, so both audit rows carry the same bytes.
  private static readonly decision: Decision = {
    permit: true,
    reason: 'permit-care-relation',
    breakGlass: false,
    breakGlassGrantId: null,
    patientFields: ALL_PATIENT_FIELDS,
    revealsExistence: false,
  };

  override async authorize(): Promise<Decision> {
    return PolicySkippedPatientService.decision;
  }
}

function benchRoutes(store: () => Store | undefined) {
  const ready = () => {
    const s = store();
    if (!s) throw new ServiceUnavailableError('The bench target is still starting.');
    return s;
  };
  return (app: FastifyInstance) => {
    app.get<{ Params: { id: string } }>(
      '/bench/unguarded/Patient/:id',
      { config: { policy: { public: true, why: 'benchmark peer' } }, schema: { hide: true, params: ID_PARAMS } },
      async (request, reply) => {
        if (!request.subject) throw new UnauthenticatedError();
        const { patient } = await new PolicySkippedPatientService(ready()).read(request.subject, requestFacts(request), request.params.id);
        return reply.type(FHIR_JSON).send(patient);
      },
    );

    app.get<{ Params: { id: string } }>(
      '/bench/unaudited/Patient/:id',
      { config: { policy: { action: 'patient.read', resource: 'Patient', patient: true } }, schema: { hide: true, params: ID_PARAMS } },
      async (request, reply) => {
        const subject = request.subject;
        if (!subject) throw new UnauthenticatedError();
        const s = ready();
        const service = new PatientService(s);
        const id = request.params.id;
        // A refusal is still audited (as on the real route); only the success event is left out.
        const patient = await service.audited(subject, requestFacts(request), () =>
          s.tx(async (trx) => {
            const decision = await service.authorize(trx, subject, 'patient.read', id);
            const found = await loadPatient(trx, id);
            if (!found) throw new NotFoundError('No patient has this id.');
            return projectPatient(found, decision.patientFields);
          }),
        );
        return reply.type(FHIR_JSON).send(patient);
      },
    );
  };
}

async function auditPending(store: Store): Promise<number> {
  const row = await store.db.selectFrom('audit.pending').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirst();
  return Number(row?.n ?? 0);
}

async function sealLag(store: Store, actorId: string, fromMs: number, toMs: number): Promise<SealLag> {
  const result = await sql<{ lag_ms: number | string | null }>`
    select extract(epoch from (s.sealed_at - e.recorded_at)) * 1000 as lag_ms
      from audit.events e
      left join audit.seals s on s.event_id = e.id
     where e.actor_id = ${actorId} and e.action = 'patient.read'
       and e.recorded_at >= ${new Date(fromMs).toISOString()}::timestamptz and e.recorded_at <= ${new Date(toMs).toISOString()}::timestamptz`.execute(store.db);
  const lags = result.rows.map((r) => (r.lag_ms === null ? Number.POSITIVE_INFINITY : Number(r.lag_ms))).sort((a, b) => a - b);
  // JSON (the IPC channel) has no Infinity.
  const finite = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? v : null);
  return {
    events: lags.length,
    sealed: lags.filter(Number.isFinite).length,
    p50Ms: finite(percentile(lags, 0.5)),
    p99Ms: finite(percentile(lags, 0.99)),
    maxMs: finite(lags.at(-1)),
  };
}

function send(message: AccessTargetMessage): void {
  process.send?.(message);
}

async function start(spec: AccessTargetSpec): Promise<{ vigil: RunningVigil; url: string; seedMs: number; person: FixturePerson; patientId: string }> {
  const env: NodeJS.ProcessEnv = { VIGIL_ENV: 'test', HOST: '127.0.0.1', PORT: '0', MLLP_PORT: 'off', VIGIL_DATA_DIR: spec.dataDir, LOG_LEVEL: 'silent' };
  if (spec.databaseUrl) env.DATABASE_URL = spec.databaseUrl;
  const config = loadConfig({ env });
  // The routes are registered while startVigil builds the app, before its store handle is returned to us.
  const started: { store?: Store } = {};
  const vigil = await startVigil({ config, role: 'all', demo: true, extendApp: benchRoutes(() => started.store) });
  started.store = vigil.store;
  await vigil.ready;
  if (!vigil.url) throw new Error('Vigil started without an HTTP listener (role should be "all").');
  const seeded = performance.now();
  const fixture = await buildAccessFixture(vigil.store, config, ['nurse']);
  const seedMs = performance.now() - seeded;
  // vigil.url names "localhost"; the load generator must use the IPv4 loopback address it actually listens on.
  const url = `http://127.0.0.1:${new URL(vigil.url).port}`;
  return { vigil, url, seedMs, person: fixture.people.get('nurse')!, patientId: fixture.patients['own-team'].id };
}

async function main(): Promise<void> {
  if (!process.send) throw new Error('bench/access-target.ts is started by bench/access.ts over IPC, not by hand.');
  const spec = JSON.parse(process.argv[2] ?? '') as AccessTargetSpec;
  const started = performance.now();
  let target: Awaited<ReturnType<typeof start>>;
  try {
    target = await start(spec);
  } catch (err) {
    send({ type: 'failed', message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
    process.disconnect();
    return;
  }
  const { vigil } = target;
  const startMs = performance.now() - started - target.seedMs;
  process.on('message', (message: AccessTargetRequest) => {
    if (message.type === 'stop') {
      vigil
        .stop()
        .then(
          ({ drained }) => send({ type: 'stopped', drained }),
          () => send({ type: 'stopped', drained: false }),
        )
        .finally(() => process.disconnect());
      return;
    }
    const answer: Promise<AccessTargetMessage> =
      message.type === 'audit-pending'
        ? auditPending(vigil.store).then((pending) => ({ type: 'audit-pending', id: message.id, pending }))
        : sealLag(vigil.store, message.actorId, message.fromMs, message.toMs).then((lag) => ({ type: 'seal-lag', id: message.id, lag }));
    answer.then(send, (err: unknown) => send({ type: 'request-failed', id: message.id, message: err instanceof Error ? err.message : String(err) }));
  });
  send({ type: 'listening', url: target.url, startMs, seedMs: target.seedMs, engine: vigil.store.engine, person: target.person, patientId: target.patientId });
}

await main();
