import type { FastifyPluginAsync } from 'fastify';
import type { AppDeps } from '../app.ts';

const readinessSchema = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ready', 'not-ready', 'stopping'] },
    version: { type: 'string' },
    engine: { type: 'string', enum: ['pglite', 'postgres'] },
    role: { type: 'string' },
    checks: {
      type: 'object',
      properties: {
        database: { type: 'object', properties: { status: { type: 'string' }, latencyMs: { type: 'number' } } },
        migrations: {
          type: 'object',
          properties: { status: { type: 'string' }, applied: { type: 'integer' }, pending: { type: 'integer' }, latest: { type: 'integer' } },
        },
        workers: {
          type: 'object',
          properties: {
            status: { type: 'string' },
            active: { type: 'integer' },
            workers: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  role: { type: 'string' },
                  hostname: { type: 'string' },
                  pid: { type: 'integer' },
                  lastSeenSecondsAgo: { type: 'integer' },
                  stopping: { type: 'boolean' },
                },
              },
            },
          },
        },
      },
    },
  },
} as const;

export const healthRoutes =
  (deps: AppDeps): FastifyPluginAsync =>
  async (app) => {
    app.get(
      '/health/live',
      {
        config: { policy: { public: true, why: 'liveness probe, no data' } },
        schema: { summary: 'The process is up', tags: ['health'], response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } },
      },
      async () => ({ status: 'ok' }),
    );

    app.get(
      '/health/ready',
      {
        config: { policy: { public: true, why: 'readiness probe: engine, migration and worker state, no data' } },
        schema: {
          summary: 'Database reachable and migrations current (200), or not (503)',
          tags: ['health'],
          response: { 200: readinessSchema, 503: readinessSchema },
        },
      },
      async (_request, reply) => {
        const readiness = await deps.health.readiness();
        return reply.code(readiness.status === 'ready' ? 200 : 503).send(readiness);
      },
    );

    app.get(
      '/metrics',
      { config: { policy: { public: true, why: 'Prometheus scrape: counters with closed label sets, no PHI' } }, schema: { hide: true } },
      async (_request, reply) => {
        const text = await deps.metrics.registry.metrics();
        return reply.type(deps.metrics.registry.contentType).send(text);
      },
    );
  };
