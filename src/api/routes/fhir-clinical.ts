import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { ChartService, type ResourcePage } from '../../core/clinical/chart-service.ts';
import { capabilityStatement } from '../../core/clinical/fhir/capability-statement.ts';
import { InvalidSearchError, MAX_COUNT, MAX_OFFSET, DEFAULT_COUNT, parseBound, parseSearch, SEARCH_PARAMS, searchParamsOf } from '../../core/clinical/fhir/search-params.ts';
import { CLINICAL_TYPES, type ClinicalType } from '../../core/clinical/resource-types.ts';
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

function bundle(request: FastifyRequest, path: string, params: URLSearchParams, page: ResourcePage, count: number, offset: number) {
  const base = fhirBase(request);
  const link = (at: number) => {
    const p = new URLSearchParams(params);
    p.set('_offset', String(at));
    return `${base}/${path}?${p.toString()}`;
  };
  const links = [{ relation: 'self', url: link(offset) }];
  if (count > 0 && offset + count < page.total) links.push({ relation: 'next', url: link(offset + count) });
  if (offset > 0) links.push({ relation: 'previous', url: link(Math.max(0, offset - count)) });
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
          return fhir(reply, bundle(request, type, searchParamsOf(search), page, search.count, search.offset));
        },
      );
    }

    app.get<{ Params: { id: string } }>(
      '/fhir/R4/Patient/:id/$everything',
      {
        config: { policy: { action: 'chart.read', resource: 'Patient', patient: true } },
        schema: {
          summary: 'Patient/$everything: the patient and every resource of their chart you may see, paged (_count, _offset)',
          tags: ['fhir'],
          params: ID_PARAM,
          querystring: { type: 'object', properties: { _count: anyValue(`0 to ${MAX_COUNT}`), _offset: anyValue(`0 to ${MAX_OFFSET}`) } },
        },
      },
      async (request, reply) => {
        const query = request.query as RawQuery;
        onlyParams(query, ['_count', '_offset'], '$everything');
        const count = parseBound('_count', single(query, '_count'), MAX_COUNT, DEFAULT_COUNT);
        const offset = parseBound('_offset', single(query, '_offset'), MAX_OFFSET, 0);
        const page = await service().everything(subjectOf(request), requestFacts(request), request.params.id, { count, offset });
        const params = new URLSearchParams({ _count: String(count) });
        return fhir(reply, bundle(request, `Patient/${encodeURIComponent(request.params.id)}/$everything`, params, page, count, offset));
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
        return fhir(reply, bundle(request, 'Provenance', params, { total: resources.length, resources }, resources.length, 0));
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

    app.get<{ Params: { id: string } }>(
      '/api/patients/:id/chart',
      {
        config: { policy: { action: 'chart.read', resource: 'Patient', patient: true } },
        schema: { summary: "A patient's chart for the web UI: demographics, identifiers and sources, encounters, medications, results, allergies, problems, documents, provenance, stale feeds", tags: ['chart'], params: ID_PARAM },
      },
      async (request) => service().chart(subjectOf(request), requestFacts(request), request.params.id),
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
