import type { FastifyInstance } from 'fastify';
import { StaleSources, tagPossiblyStale } from '../core/clinical/fhir/freshness-tag.ts';
import type { AppDeps } from './app.ts';

/**
 * Every FHIR read answer tags the resources whose source feed is stale now (`possibly-stale`), as the chart shows a
 * banner: once, here, rather than in each route. Runs after the handler, on the object about to be serialized.
 */
export function installFhirFreshness(app: FastifyInstance, deps: Pick<AppDeps, 'store'>): void {
  let stale: StaleSources | undefined;
  app.addHook('preSerialization', async (request, reply, payload) => {
    if (request.method !== 'GET' || !request.url.startsWith('/fhir/R4/') || reply.statusCode !== 200 || typeof payload !== 'object' || payload === null) return payload;
    const store = deps.store();
    if (!store) return payload;
    stale ??= new StaleSources(() => store.db);
    tagPossiblyStale(payload, await stale.names());
    return payload;
  });
}
