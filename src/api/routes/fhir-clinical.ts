import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { CHART_LIMIT, WHOLE_SECTION } from '../../core/clinical/chart-pages.ts';
import { CHART_SECTIONS, isChartSection } from '../../core/clinical/chart-sections.ts';
import { ChartService, type ResourcePage } from '../../core/clinical/chart-service.ts';
import { capabilityStatement } from '../../core/clinical/fhir/capability-statement.ts';
import { InvalidSearchError, MAX_COUNT, DEFAULT_COUNT, parseBound, parseSearch, SEARCH_PARAMS, searchParamsOf } from '../../core/clinical/fhir/search-params.ts';
import { CLINICAL_TYPES, type ClinicalType } from '../../core/clinical/resource-types.ts';
import { VigilError } from '../../errors.ts';
import type { AppDeps } from '../app.ts';
import { subjectOf } from '../guard.ts';
import { requestFacts } from '../request-facts.ts';
import { requireStore } from '../require-store.ts';
import { fhirBase } from './fhir-patient.ts';
import { smartConfiguration, tokenUrl } from './oauth2.ts';

/**
 * The FHIR R4 face of the chart (read, search, Patient/$everything, Provenance), its CapabilityStatement and SMART
 * discovery, and the chart and fact history as JSON for the web UI. Routes only parse and shape: ChartService
 * decides, reads and audits. Search parameters are parsed here from the raw query so that a parameter Vigil does
 * not support is refused with an OperationOutcome rather than silently ignored.
 */
const FHIR_JSON = 'application/fhir+json';
const ID_PARAM = { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 64 } }, required: ['id'] } as const;
const anyValue = (description: string) => ({ description });

type RawQuery = Record<string, unknown>;

type BundleLink = { relation: string; url: string };

/** Offset paging links, as FHIR searches page (Patient/$everything pages by cursor instead). */
function offsetLinks(request: FastifyRequest, path: string, params: URLSearchParams, total: number, count: number, offset: number): BundleLink[] {
  const link = (at: number) => {
    const p = new URLSearchParams(params);
    p.set('_offset', String(at));
    return `${fhirBase(request)}/${path}?${p.toString()}`;
  };
  const links = [{ relation: 'self', url: link(offset) }];
  if (count > 0 && offset + count < total) links.push({ relation: 'next', url: link(offset + count) });
  if (offset > 0) links.push({ relation: 'previous', url: link(Math.max(0, offset - count)) });
  return links;
}

function bundle(request: FastifyRequest, page: ResourcePage, links: BundleLink[]) {
  const base = fhirBase(request);
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    total: page.total,
    link: links,
    // FHIR forbids empty arrays: a page without resources has no entry element.
    ...(page.resources.length ? { entry: page.resources.map((r) => ({ fullUrl: `${base}/${r.resourceType}/${r.id}`, resource: r, search: { mode: 'match' } })) } : {}),
  };
}

const fhir = (reply: FastifyReply, body: unknown) => reply.type(FHIR_JSON).send(body);

function onlyParams(query: RawQuery, allowed: readonly string[], what: string): void {
  for (const name of Object.keys(query)) if (!allowed.includes(name)) throw new InvalidSearchError(`${what} takes only ${allowed.join(', ')}.`);
}

function single(query: RawQuery, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new InvalidSearchError(`${name} may be given once.`);
  return value;
}

/** A chart query the UI should never send: a 400 problem naming what is allowed. */
class InvalidChartQueryError extends VigilError {
  constructor(message: string) {
    super('invalid-chart-query', 400, message);
  }
}

function onlyChartParams(query: RawQuery, allowed: readonly string[]): void {
  for (const name of Object.keys(query)) if (!allowed.includes(name)) throw new InvalidChartQueryError(`The chart takes only ${allowed.join(', ')}.`);
}

function parseChartLimit(value: string | undefined): number {
  if (value === undefined) return CHART_LIMIT.default;
  if (!/^\d{1,4}$/.test(value) || Number(value) < 1 || Number(value) > CHART_LIMIT.max) throw new InvalidChartQueryError(`limit must be a whole number from 1 to ${CHART_LIMIT.max}.`);
  return Number(value);
}

const TARGET = /^(?:.*\/)?([A-Za-z]+)\/([0-9a-fA-F-]{36})(?:\/_history\/\d+)?$/;

export const fhirClinicalRoutes =
  (deps: AppDeps): FastifyPluginAsync =>
  async (app) => {
    const service = () => new ChartService(requireStore(deps));
    const publishedAt = new Date().toISOString();

    for (const type of CLINICAL_TYPES) {
      app.get<{ Params: { id: string } }>(
        `/fhir/R4/${type}/:id`,
        {
          config: { policy: { action: 'chart.read', resource: type, patient: true } },
          schema: { summary: `Read one ${type} (decided on its patient${type === 'Observation' || type === 'DiagnosticReport' ? ' and its result status' : ''}; audited)`, tags: ['fhir'], params: ID_PARAM },
        },
        async (request, reply) => fhir(reply, await service().read(subjectOf(request), requestFacts(request), type, request.params.id)),
      );

      app.get(
        `/fhir/R4/${type}`,
        {
          config: { policy: { action: 'chart.read', resource: type, patient: true } },
          schema: {
            summary: `Search ${type} for one patient or across the charts you may open (${SEARCH_PARAMS[type].map((p) => p.name).join(', ')})`,
            tags: ['fhir'],
            querystring: { type: 'object', properties: Object.fromEntries(SEARCH_PARAMS[type].map((p) => [p.name, anyValue(p.documentation)])) },
          },
        },
        async (request, reply) => {
          const search = parseSearch(type, request.query as RawQuery);
          const page = await service().search(subjectOf(request), requestFacts(request), type, search);
          return fhir(reply, bundle(request, page, offsetLinks(request, type, searchParamsOf(search), page.total, search.count, search.offset)));
        },
      );
    }

    app.get<{ Params: { id: string } }>(
      '/fhir/R4/Patient/:id/$everything',
      {
        config: { policy: { action: 'chart.read', resource: 'Patient', patient: true } },
        schema: {
          summary: 'Patient/$everything: the patient and every resource of their chart you may see, paged (_count; follow the next link, which carries _cursor)',
          tags: ['fhir'],
          params: ID_PARAM,
          querystring: { type: 'object', properties: { _count: anyValue(`0 to ${MAX_COUNT}`), _cursor: anyValue('the cursor of the next link of the page before') } },
        },
      },
      async (request, reply) => {
        const query = request.query as RawQuery;
        onlyParams(query, ['_count', '_cursor'], '$everything');
        const count = parseBound('_count', single(query, '_count'), MAX_COUNT, DEFAULT_COUNT);
        const cursor = single(query, '_cursor');
        const page = await service().everything(subjectOf(request), requestFacts(request), request.params.id, { count, ...(cursor !== undefined ? { cursor } : {}) });
        const base = `${fhirBase(request)}/Patient/${encodeURIComponent(request.params.id)}/$everything`;
        const link = (at: string | undefined) => `${base}?${new URLSearchParams({ _count: String(count), ...(at !== undefined ? { _cursor: at } : {}) }).toString()}`;
        // Keyset pages go forward only: FHIR makes `previous` optional, and clients walk `next`.
        return fhir(reply, bundle(request, page, [{ relation: 'self', url: link(cursor) }, ...(page.next ? [{ relation: 'next', url: link(page.next) }] : [])]));
      },
    );

    app.get(
      '/fhir/R4/Provenance',
      {
        config: { policy: { action: 'chart.read', resource: 'Provenance', patient: true } },
        schema: { summary: 'Provenance?target=Type/id: one Provenance per version of a clinical resource', tags: ['fhir'], querystring: { type: 'object', properties: { target: anyValue('Type/id') } } },
      },
      async (request, reply) => {
        const query = request.query as RawQuery;
        onlyParams(query, ['target'], 'Provenance search');
        const match = TARGET.exec(single(query, 'target') ?? '');
        const type = match?.[1] as ClinicalType | undefined;
        if (!match || !type || !CLINICAL_TYPES.includes(type)) throw new InvalidSearchError(`target must be Type/id with Type one of ${CLINICAL_TYPES.join(', ')}.`);
        const id = match[2]!.toLowerCase();
        const resources = await service().provenanceOf(subjectOf(request), requestFacts(request), { resourceType: type, id });
        const params = new URLSearchParams({ target: `${type}/${id}` });
        return fhir(reply, bundle(request, { total: resources.length, resources }, offsetLinks(request, 'Provenance', params, resources.length, resources.length, 0)));
      },
    );

    app.get<{ Params: { id: string } }>(
      '/fhir/R4/Provenance/:id',
      { config: { policy: { action: 'chart.read', resource: 'Provenance', patient: true } }, schema: { summary: 'Read one Provenance (one version of a clinical resource)', tags: ['fhir'], params: ID_PARAM } },
      async (request, reply) => fhir(reply, await service().provenance(subjectOf(request), requestFacts(request), request.params.id)),
    );

    app.get(
      '/fhir/R4/metadata',
      {
        config: { policy: { public: true, why: 'FHIR CapabilityStatement: what the server implements, no patient data' } },
        schema: { summary: 'CapabilityStatement of the FHIR R4 face', tags: ['fhir'] },
      },
      async (request, reply) => fhir(reply, capabilityStatement({ base: fhirBase(request), tokenUrl: tokenUrl(request, deps.config.publicUrl), version: deps.version, date: publishedAt })),
    );

    app.get(
      '/fhir/R4/.well-known/smart-configuration',
      {
        config: { policy: { public: true, why: 'SMART discovery under the FHIR base, as SMART clients look for it: endpoints only, no data' } },
        schema: { summary: 'SMART configuration (same document as /.well-known/smart-configuration)', tags: ['fhir'] },
      },
      async (request) => smartConfiguration(request, deps.config.publicUrl),
    );

    const chartLimit = (query: RawQuery) => parseChartLimit(single(query, 'limit'));

    app.get<{ Params: { id: string } }>(
      '/api/patients/:id/chart',
      {
        config: { policy: { action: 'chart.read', resource: 'Patient', patient: true } },
        schema: {
          summary: `A patient's chart for the web UI: demographics, identifiers and sources, stale feeds, and the newest entries of each section (encounters, results, medications, problems, allergies, documents) with its total and next-page cursor`,
          tags: ['chart'],
          params: ID_PARAM,
          querystring: { type: 'object', properties: { limit: anyValue(`entries per section, 1 to ${CHART_LIMIT.max} (default ${CHART_LIMIT.default}); allergies and problems come whole up to ${WHOLE_SECTION}`) } },
        },
      },
      async (request) => {
        const query = request.query as RawQuery;
        onlyChartParams(query, ['limit']);
        return service().chart(subjectOf(request), requestFacts(request), request.params.id, { limit: chartLimit(query) });
      },
    );

    app.get<{ Params: { id: string; section: string } }>(
      '/api/patients/:id/chart/:section',
      {
        config: { policy: { action: 'chart.read', resource: 'Patient', patient: true } },
        schema: {
          summary: 'The next page of one chart section, newest first: pass the section\'s `next` cursor as `before`',
          tags: ['chart'],
          params: { type: 'object', properties: { id: ID_PARAM.properties.id, section: { type: 'string', enum: [...CHART_SECTIONS] } }, required: ['id', 'section'] },
          querystring: { type: 'object', properties: { before: anyValue('the `next` cursor of the page before'), limit: anyValue(`1 to ${CHART_LIMIT.max} (default ${CHART_LIMIT.default})`) } },
        },
      },
      async (request) => {
        const query = request.query as RawQuery;
        onlyChartParams(query, ['before', 'limit']);
        const section = request.params.section;
        if (!isChartSection(section)) throw new InvalidChartQueryError(`The chart's sections are ${CHART_SECTIONS.join(', ')}.`);
        const before = single(query, 'before');
        return service().chartSection(subjectOf(request), requestFacts(request), request.params.id, section, { limit: chartLimit(query), ...(before !== undefined ? { before } : {}) });
      },
    );

    app.get<{ Params: { id: string } }>(
      '/api/facts/:id/history',
      {
        config: { policy: { action: 'chart.read', resource: 'Resource', patient: true } },
        schema: { summary: 'Every version of one fact you may see, with its provenance', tags: ['chart'], params: ID_PARAM },
      },
      async (request) => service().history(subjectOf(request), requestFacts(request), request.params.id),
    );
  };
