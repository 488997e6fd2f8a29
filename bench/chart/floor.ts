import type { FastifyInstance, FastifyRequest } from 'fastify';
import { fhirBase } from '../../src/api/routes/fhir-patient.ts';
import { PATIENT_FIELD_GROUPS, PATIENT_FIELDS_BY_ROLE } from '../../src/controls/access/policy.ts';
import { identifiersWithSources, staleFeeds } from '../../src/core/clinical/chart-sources.ts';
import { arrangeChart, chartEncounter, type Chart } from '../../src/core/clinical/chart-view.ts';
import { loadEncounters, patientEncounters } from '../../src/core/clinical/encounter-query.ts';
import { pageEverything } from '../../src/core/clinical/everything-query.ts';
import { loadLinks } from '../../src/core/clinical/fact-links.ts';
import { factCondition, loadFacts, pageFactIds } from '../../src/core/clinical/fact-query.ts';
import { toEncounter, toFhir, type FhirResource } from '../../src/core/clinical/fhir/index.ts';
import { DEFAULT_COUNT, MAX_COUNT, MAX_OFFSET, parseBound } from '../../src/core/clinical/fhir/search-params.ts';
import { FACT_TYPES } from '../../src/core/clinical/resource-types.ts';
import { withheldActions, type Visibility } from '../../src/core/clinical/result-visibility.ts';
import { projectPatient } from '../../src/core/patients/fhir-patient.ts';
import { loadPatient } from '../../src/core/patients/patient-service.ts';
import { NotFoundError, ServiceUnavailableError, UnauthenticatedError } from '../../src/errors.ts';
import type { FactKind } from '../../src/model/clinical.ts';
import type { Store, Tx } from '../../src/store/store.ts';

/**
 * The unguarded floor of the two chart reads, registered only in the bench's target process: ChartService.chart and
 * ChartService.everything with the same statements in the same order in one transaction, the same projection and the
 * same JSON, and without what the guard and the audit add: no relation load (`access_patient_relation`), no decision,
 * and no audit event (so no write, and a read-only commit that waits for no WAL flush). The visibility and the
 * patient's fields are fixed to what the decision point gives a physician on their own team's patient (every result
 * status; the physician's field groups), so both answers carry the same bytes; the bench checks that they do.
 *
 * The chart floor also takes `?limit=N` (N ≤ 2,000): the same chart cut to its newest N facts, to measure what a
 * smaller chart answer would cost (there is no real route to compare that one with).
 *
 * Each answer carries a Server-Timing header with the time of each step (wall clock, database round trips included),
 * serialization last. Authentication still runs (it runs on public routes whenever a credential comes along), so the
 * token costs the same on both sides.
 *
 * The design forbids clinical reads that skip the decision point or the audit: these routes measure what those two
 * steps cost, and must never be registered anywhere but in bench/chart/target.ts.
 */
const ALL_VISIBLE: Visibility = { 'result.view-preliminary': true, 'result.view-final': true, 'result.view-corrected': true };
const PHYSICIAN_FIELDS: readonly string[] = (PATIENT_FIELDS_BY_ROLE.physician ?? []).flatMap((group) => PATIENT_FIELD_GROUPS[group]);
const ALL_KINDS = Object.values(FACT_TYPES) as FactKind[];
/** ChartService's CHART_FACT_LIMIT (not exported); the bench checks the floor's chart against the real one. */
const CHART_FACT_LIMIT = 2000;
const ID_PARAMS = { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 64 } }, required: ['id'] } as const;
const POLICY = { policy: { public: true as const, why: 'chart bench floor: the same reads without the guard and audit' } };

/** Wall-clock time of each named step of one request, for the Server-Timing header. */
class Steps {
  private readonly spent: [string, number][] = [];

  async time<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
    const began = performance.now();
    try {
      return await fn();
    } finally {
      this.spent.push([name, performance.now() - began]);
    }
  }

  /** The time of a transaction not spent in its steps: taking a connection, BEGIN and COMMIT. */
  async transaction<T>(store: Store, fn: (trx: Tx) => Promise<T>): Promise<T> {
    const began = performance.now();
    const before = this.spent.length;
    try {
      return await store.tx(fn);
    } finally {
      const inside = this.spent.slice(before).reduce((n, [, ms]) => n + ms, 0);
      this.spent.push(['tx', performance.now() - began - inside]);
    }
  }

  header(): string {
    return this.spent.map(([name, ms]) => `${name};dur=${ms.toFixed(3)}`).join(', ');
  }
}

async function patientOf(trx: Tx, id: string) {
  const patient = await loadPatient(trx, id);
  if (!patient) throw new NotFoundError('No patient has this id.');
  return projectPatient(patient, PHYSICIAN_FIELDS);
}

/** ChartService.chart without authorizeChart and recordRead. */
async function floorChart(trx: Tx, id: string, limit: number, steps: Steps): Promise<Chart> {
  const patient = await steps.time('patient', () => patientOf(trx, id));
  const identifiers = PHYSICIAN_FIELDS.includes('identifier') ? await steps.time('identifiers', () => identifiersWithSources(trx, id)) : [];
  const encounters = await steps.time('encounters', () => patientEncounters(trx, id));
  const where = factCondition({ patientId: id }, ALL_VISIBLE, { kinds: ALL_KINDS });
  const { total, ids } = await steps.time('ids', () => pageFactIds(trx, where, limit, 0));
  const loaded = await steps.time('facts', () => loadFacts(trx, ids));
  const links = await steps.time('links', () => loadLinks(trx, loaded, ALL_VISIBLE));
  const arranged = await steps.time('arrange', () => {
    const reportResults = new Map([...links].flatMap(([factId, l]) => (l.results ? [[factId, l.results] as const] : [])));
    return { encounters: encounters.map(chartEncounter), ...arrangeChart(loaded, reportResults) };
  });
  const stale = await steps.time('stale', () => staleFeeds(trx, id));
  return { patient, identifiers, ...arranged, stale, withheld: withheldActions(ALL_VISIBLE), truncated: total > loaded.length };
}

/** ChartService.everything without authorizeChart and recordRead (nor the audit event's list of what was disclosed). */
async function floorEverything(trx: Tx, id: string, page: { count: number; offset: number }, steps: Steps): Promise<{ total: number; resources: FhirResource[] }> {
  const withPatient = page.offset === 0 && page.count > 0;
  const { total, entries } = await steps.time('page', () => pageEverything(trx, id, ALL_VISIBLE, page.count - (withPatient ? 1 : 0), Math.max(0, page.offset - 1)));
  const encounterRows = await steps.time('encounters', () => loadEncounters(trx, entries.filter((e) => e.table === 'encounter').map((e) => e.id), id));
  const loaded = await steps.time('facts', () => loadFacts(trx, entries.filter((e) => e.table === 'fact').map((e) => e.id)));
  const links = await steps.time('links', () => loadLinks(trx, loaded, ALL_VISIBLE));
  const resources = await steps.time('fhir', () => {
    const encounters = new Map(encounterRows.map((e) => [e.id, toEncounter(e)]));
    const facts = new Map(loaded.map((f) => [f.id, toFhir(f, links.get(f.id))]));
    return entries.flatMap((e) => (e.table === 'encounter' ? encounters.get(e.id) : facts.get(e.id)) ?? []);
  });
  if (withPatient) resources.unshift(await steps.time('patient', () => patientOf(trx, id)));
  return { total: total + 1, resources };
}

/** The real route's Bundle (fhir-clinical.ts `bundle`, not exported), for the same path, so the bytes are the same. */
function bundleOf(request: FastifyRequest, id: string, page: { total: number; resources: FhirResource[] }, count: number, offset: number) {
  const base = fhirBase(request);
  const path = `Patient/${encodeURIComponent(id)}/$everything`;
  const link = (at: number) => `${base}/${path}?${new URLSearchParams({ _count: String(count), _offset: String(at) }).toString()}`;
  const links = [{ relation: 'self', url: link(offset) }];
  if (count > 0 && offset + count < page.total) links.push({ relation: 'next', url: link(offset + count) });
  if (offset > 0) links.push({ relation: 'previous', url: link(Math.max(0, offset - count)) });
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    total: page.total,
    link: links,
    ...(page.resources.length ? { entry: page.resources.map((r) => ({ fullUrl: `${base}/${r.resourceType}/${r.id}`, resource: r, search: { mode: 'match' } })) } : {}),
  };
}

function one(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  return typeof value === 'string' ? value : undefined;
}

export function floorRoutes(store: () => Store | undefined) {
  const ready = () => {
    const s = store();
    if (!s) throw new ServiceUnavailableError('The bench target is still starting.');
    return s;
  };
  return (app: FastifyInstance) => {
    app.get<{ Params: { id: string } }>('/bench/floor/chart/:id', { config: POLICY, schema: { hide: true, params: ID_PARAMS } }, async (request, reply) => {
      if (!request.subject) throw new UnauthenticatedError();
      const steps = new Steps();
      // `limit` (bench only) cuts the chart to fewer facts: what a chart answer of that size would cost.
      const limit = parseBound('limit', one(request.query as Record<string, unknown>, 'limit'), CHART_FACT_LIMIT, CHART_FACT_LIMIT);
      const chart = await steps.transaction(ready(), (trx) => floorChart(trx, request.params.id, limit, steps));
      // What Fastify does with the real route's object (no response schema: JSON.stringify), timed.
      const body = await steps.time('json', () => JSON.stringify(chart));
      return reply.header('server-timing', steps.header()).type('application/json; charset=utf-8').send(body);
    });

    app.get<{ Params: { id: string } }>('/bench/floor/everything/:id', { config: POLICY, schema: { hide: true, params: ID_PARAMS } }, async (request, reply) => {
      if (!request.subject) throw new UnauthenticatedError();
      const query = request.query as Record<string, unknown>;
      const count = parseBound('_count', one(query, '_count'), MAX_COUNT, DEFAULT_COUNT);
      const offset = parseBound('_offset', one(query, '_offset'), MAX_OFFSET, 0);
      const steps = new Steps();
      const page = await steps.transaction(ready(), (trx) => floorEverything(trx, request.params.id, { count, offset }, steps));
      const body = await steps.time('json', () => JSON.stringify(bundleOf(request, request.params.id, page, count, offset)));
      return reply.header('server-timing', steps.header()).type('application/fhir+json').send(body);
    });
  };
}
