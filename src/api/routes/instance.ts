import type { FastifyPluginAsync } from 'fastify';
import { NotFoundError, ServiceUnavailableError } from '../../errors.ts';
import type { AppDeps } from '../app.ts';

/** Which Vigil this is: one row read through the whole stack (the first benchmark reads it). */
export const instanceRoutes =
  (deps: AppDeps): FastifyPluginAsync =>
  async (app) => {
    app.get(
      '/api/v1/instance',
      {
        config: { policy: { public: true, why: 'instance name and mode, no patient data' } },
        schema: {
          summary: 'This instance: id, name, whether it holds demo data',
          tags: ['system'],
          response: {
            200: {
              type: 'object',
              properties: { id: { type: 'string' }, name: { type: 'string' }, demo: { type: 'boolean' }, createdAt: { type: 'string' } },
            },
          },
        },
      },
      async () => {
        const store = deps.store();
        if (!store) throw new ServiceUnavailableError('The database is not ready yet; try again shortly (see /health/ready).');
        const row = await store.db.selectFrom('vigil_instance').selectAll().limit(1).executeTakeFirst();
        if (!row) throw new NotFoundError('This instance has not been initialised; run `vigil migrate` or start Vigil once.');
        return { id: row.id, name: row.name, demo: row.demo, createdAt: row.created_at.toISOString() };
      },
    );
  };
