import type { FastifyInstance, FastifyRequest } from 'fastify';
import { fhirBase } from '../../src/api/routes/fhir-patient.ts';
import { PATIENT_FIELD_GROUPS, PATIENT_FIELDS_BY_ROLE } from '../../src/controls/access/policy.ts';
import { decodeCursor, encodeCursor } from '../../src/core/clinical/chart-cursor.ts';
import { CHART_LIMIT, firstScreen, readSections, sectionCursor } from '../../src/core/clinical/chart-pages.ts';
import { isChartSection, type ChartSectionName } from '../../src/core/clinical/chart-sections.ts';
import { identifiersWithSources, staleFeeds } from '../../src/core/clinical/chart-sources.ts';
import type { Chart, ChartSectionPage, ChartSections } from '../../src/core/clinical/chart-view.ts';
import { loadEncounters } from '../../src/core/clinical/encounter-query.ts';
import { countEverything, pageEverything } from '../../src/core/clinical/everything-query.ts';
import { loadLinks } from '../../src/core/clinical/fact-links.ts';
import { loadFacts } from '../../src/core/clinical/fact-query.ts';
import { toEncounter, toFhir, type FhirResource } from '../../src/core/clinical/fhir/index.ts';
import { DEFAULT_COUNT, MAX_COUNT, parseBound } from '../../src/core/clinical/fhir/search-params.ts';
import { withheldActions, type Visibility } from '../../src/core/clinical/result-visibility.ts';
import { projectPatient } from '../../src/core/patients/fhir-patient.ts';
import { loadPatient } from '../../src/core/patients/patient-service.ts';
import { NotFoundError, ServiceUnavailableError, UnauthenticatedError } from '../../src/errors.ts';
import type { Store, Tx } from '../../src/store/store.ts';

/**
 * The unguarded floor of the chart reads, registered only in the bench's target process: ChartService.chart,
 * ChartService.chartSection and ChartService.everything with the same statements in the same order in one
 * transaction, the same projection and the same JSON, and without what the guard and the audit add: no relation load
 * (`access_patient_relation`), no decision, and no audit event (so no write, and a read-only commit that waits for no
 * WAL flush). The visibility and the patient's fields are fixed to what the decision point gives a physician on their
 * own team's patient (every result status; the physician's field groups), so both answers carry the same bytes; the
 * bench checks that they do.
 *
 * Each answer carries a Server-Timing header with the time of each step (wall clock, database round trips included),
 * serialization last. Authentication still runs (it runs on public routes whenever a credential comes along), so the
 * token costs the same on both sides.
 *
 * The design forbids clinical reads that skip the decision point or the audit: these routes measure what those two
 * steps cost, and must never be registered anywhere but in bench/chart/target.ts.
 */
const ALL_VISIBLE: Visibility = { 'result.view-preliminary': true, 'result.view-final': true, 'result.view-corrected': true, openedLabels: null };
const PHYSICIAN_FIELDS: readonly string[] = (PATIENT_FIELDS_BY_ROLE.physician ?? []).flatMap((group) => PATIENT_FIELD_GROUPS[group]);
/** ChartService's list name of $everything cursors (not exported): the floor's cursors must be the real route's. */
const EVERYTHING_LIST = 'everything';
const FROM_START = { rank: 0, at: 'infinity', id: '00000000-0000-0000-0000-000000000000' };
const ID_PARAMS = { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 64 } }, required: ['id'] } as const;
const SECTION_PARAMS = { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 64 }, section: { type: 'string' } }, required: ['id', 'section'] } as const;
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
  const read = await readSections(trx, id, ALL_VISIBLE, firstScreen(limit), (name, fn) => steps.time(name, fn));
  const stale = await steps.time('stale', () => staleFeeds(trx, id));
  return { patient, identifiers, ...(read.sections as ChartSections), stale, withheld: withheldActions(ALL_VISIBLE), limit };
}

/** ChartService.chartSection without authorizeChart and recordRead. */
async function floorSection(trx: Tx, id: string, section: ChartSectionName, limit: number, before: string | undefined, steps: Steps): Promise<ChartSectionPage> {
  const after = before === undefined ? undefined : sectionCursor(id, section, before);
  const read = await readSections(trx, id, ALL_VISIBLE, [{ section, limit, ...(after ? { after } : {}) }], (name, fn) => steps.time(name, fn));
  return { section, ...read.sections[section]! } as ChartSectionPage;
}

/** ChartService.everything without authorizeChart and recordRead (nor the audit event's list of what was disclosed). */
async function floorEverything(trx: Tx, id: string, page: { count: number; cursor?: string }, steps: Steps): Promise<{ total: number; resources: FhirResource[]; next: string | null }> {
  const after = page.cursor === undefined ? undefined : decodeCursor(id, EVERYTHING_LIST, page.cursor);
  const withPatient = !after && page.count > 0;
  const total = await steps.time('count', () => countEverything(trx, id, ALL_VISIBLE));
  const { entries, last } = await steps.time('page', () => pageEverything(trx, id, ALL_VISIBLE, page.count - (withPatient ? 1 : 0), after));
  const encounterRows = await steps.time('encounters', () => loadEncounters(trx, entries.filter((e) => e.table === 'encounter').map((e) => e.id), id));
  const loaded = await steps.time('facts', () => loadFacts(trx, entries.filter((e) => e.table === 'fact').map((e) => e.id)));
  const links = await steps.time('links', () => loadLinks(trx, loaded, ALL_VISIBLE));
  const resources = await steps.time('fhir', () => {
    const encounters = new Map(encounterRows.map((e) => [e.id, toEncounter(e)]));
    const facts = new Map(loaded.map((f) => [f.id, toFhir(f, links.get(f.id))]));
    return entries.flatMap((e) => (e.table === 'encounter' ? encounters.get(e.id) : facts.get(e.id)) ?? []);
  });
  if (withPatient) resources.unshift(await steps.time('patient', () => patientOf(trx, id)));
  const next = last ? encodeCursor(id, EVERYTHING_LIST, last) : withPatient && page.count === 1 && total > 0 ? encodeCursor(id, EVERYTHING_LIST, FROM_START) : null;
  return { total: total + 1, resources, next };
}

/** The real route's Bundle (fhir-clinical.ts, not exported), for the same path, so the bytes are the same. */
function bundleOf(request: FastifyRequest, id: string, page: { total: number; resources: FhirResource[]; next: string | null }, count: number, cursor: string | undefined) {
  const base = fhirBase(request);
  const path = `${base}/Patient/${encodeURIComponent(id)}/$everything`;
  const link = (at: string | undefined) => `${path}?${new URLSearchParams({ _count: String(count), ...(at !== undefined ? { _cursor: at } : {}) }).toString()}`;
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    total: page.total,
    link: [{ relation: 'self', url: link(cursor) }, ...(page.next ? [{ relation: 'next', url: link(page.next) }] : [])],
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
    const limitOf = (query: Record<string, unknown>) => {
      const limit = parseBound('limit', one(query, 'limit'), CHART_LIMIT.max, CHART_LIMIT.default);
      return Math.max(1, limit);
    };

    app.get<{ Params: { id: string } }>('/bench/floor/chart/:id', { config: POLICY, schema: { hide: true, params: ID_PARAMS } }, async (request, reply) => {
      if (!request.subject) throw new UnauthenticatedError();
      const steps = new Steps();
      const limit = limitOf(request.query as Record<string, unknown>);
      const chart = await steps.transaction(ready(), (trx) => floorChart(trx, request.params.id, limit, steps));
      // What Fastify does with the real route's object (no response schema: JSON.stringify), timed.
      const body = await steps.time('json', () => JSON.stringify(chart));
      return reply.header('server-timing', steps.header()).type('application/json; charset=utf-8').send(body);
    });

    app.get<{ Params: { id: string; section: string } }>('/bench/floor/chart/:id/:section', { config: POLICY, schema: { hide: true, params: SECTION_PARAMS } }, async (request, reply) => {
      if (!request.subject) throw new UnauthenticatedError();
      const section = request.params.section;
      if (!isChartSection(section)) throw new NotFoundError('No such chart section.');
      const query = request.query as Record<string, unknown>;
      const steps = new Steps();
      const page = await steps.transaction(ready(), (trx) => floorSection(trx, request.params.id, section, limitOf(query), one(query, 'before'), steps));
      const body = await steps.time('json', () => JSON.stringify(page));
      return reply.header('server-timing', steps.header()).type('application/json; charset=utf-8').send(body);
    });

    app.get<{ Params: { id: string } }>('/bench/floor/everything/:id', { config: POLICY, schema: { hide: true, params: ID_PARAMS } }, async (request, reply) => {
      if (!request.subject) throw new UnauthenticatedError();
      const query = request.query as Record<string, unknown>;
      const count = parseBound('_count', one(query, '_count'), MAX_COUNT, DEFAULT_COUNT);
      const cursor = one(query, '_cursor');
      const steps = new Steps();
      const page = await steps.transaction(ready(), (trx) => floorEverything(trx, request.params.id, { count, ...(cursor !== undefined ? { cursor } : {}) }, steps));
      const body = await steps.time('json', () => JSON.stringify(bundleOf(request, request.params.id, page, count, cursor)));
      return reply.header('server-timing', steps.header()).type('application/fhir+json').send(body);
    });
  };
}
