import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { PatientService } from '../../core/patients/patient-service.ts';
import type { AppDeps } from '../app.ts';
import { subjectOf } from '../guard.ts';
import { requestFacts } from '../request-facts.ts';
import { requireStore } from '../require-store.ts';

/** FHIR R4 Patient read and search: the first patient-scoped routes, decided per patient and audited per access. */
const FHIR_JSON = 'application/fhir+json';

interface SearchQuery {
  name?: string;
  family?: string;
  given?: string;
  identifier?: string;
  birthdate?: string;
  _count?: number;
  _offset?: number;
}

export function fhirBase(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}/fhir/R4`;
}

export const fhirPatientRoutes =
  (deps: AppDeps): FastifyPluginAsync =>
  async (app) => {
    const service = () => new PatientService(requireStore(deps));

    app.get<{ Params: { id: string } }>(
      '/fhir/R4/Patient/:id',
      {
        config: { policy: { action: 'patient.read', resource: 'Patient', patient: true } },
        schema: { summary: 'Read one patient (fields cut to what your roles may see)', tags: ['fhir'], params: { type: 'object', properties: { id: { type: 'string', maxLength: 64 } }, required: ['id'] } },
      },
      async (request, reply) => {
        const { patient } = await service().read(subjectOf(request), requestFacts(request), request.params.id);
        return reply.type(FHIR_JSON).send(patient);
      },
    );

    app.get<{ Querystring: SearchQuery }>(
      '/fhir/R4/Patient',
      {
        config: { policy: { action: 'patient.search', resource: 'Patient', patient: true } },
        schema: {
          summary: 'Search patients you may see (name, family, given, identifier [system|]value, birthdate, _count, _offset)',
          tags: ['fhir'],
          querystring: {
            type: 'object',
            properties: {
              name: { type: 'string', minLength: 1, maxLength: 100 },
              family: { type: 'string', minLength: 1, maxLength: 100 },
              given: { type: 'string', minLength: 1, maxLength: 100 },
              identifier: { type: 'string', minLength: 1, maxLength: 200 },
              birthdate: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
              _count: { type: 'integer', minimum: 0, maximum: 100, default: 20 },
              _offset: { type: 'integer', minimum: 0, maximum: 10000, default: 0 },
            },
          },
        },
      },
      async (request, reply) => {
        const q = request.query;
        const count = q._count ?? 20;
        const offset = q._offset ?? 0;
        const page = await service().search(subjectOf(request), requestFacts(request), {
          ...(q.name ? { name: q.name } : {}),
          ...(q.family ? { family: q.family } : {}),
          ...(q.given ? { given: q.given } : {}),
          ...(q.identifier ? { identifier: q.identifier } : {}),
          ...(q.birthdate ? { birthdate: q.birthdate } : {}),
          count,
          offset,
        });
        const base = fhirBase(request);
        const params = new URLSearchParams();
        for (const key of ['name', 'family', 'given', 'identifier', 'birthdate'] as const) if (q[key]) params.set(key, q[key]);
        params.set('_count', String(count));
        const link = (at: number) => `${base}/Patient?${params.toString()}&_offset=${at}`;
        const links = [{ relation: 'self', url: link(offset) }];
        if (count > 0 && offset + count < page.total) links.push({ relation: 'next', url: link(offset + count) });
        if (offset > 0) links.push({ relation: 'previous', url: link(Math.max(0, offset - count)) });
        return reply.type(FHIR_JSON).send({
          resourceType: 'Bundle',
          type: 'searchset',
          total: page.total,
          link: links,
          entry: page.patients.map((p) => ({ fullUrl: `${base}/Patient/${p.id}`, resource: p, search: { mode: 'match' } })),
        });
      },
    );
  };
