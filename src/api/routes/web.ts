import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import { NotFoundError, ServiceUnavailableError } from '../../errors.ts';
import type { AppDeps } from '../app.ts';

/** Serves the built React app (dist/web) from the same server: index.html at / and hashed assets. */
export const webRoutes =
  (deps: AppDeps): FastifyPluginAsync =>
  async (app) => {
    const root = deps.config.webDir;
    await app.register(fastifyStatic, { root, serve: false });
    const policy = { public: true as const, why: 'the web app shell; it fetches data through the API' };

    app.get('/', { config: { policy }, schema: { hide: true } }, async (_request, reply) => {
      if (!existsSync(join(root, 'index.html'))) {
        throw new ServiceUnavailableError('The web app is not built: run `npm run build:web` (npm start does it for you).');
      }
      return reply.sendFile('index.html');
    });

    app.get('/assets/*', { config: { policy }, schema: { hide: true } }, async (request, reply) => {
      const file = (request.params as { '*': string })['*'];
      if (file.includes('..') || !existsSync(join(root, 'assets', file))) throw new NotFoundError('No such asset.');
      // Asset names carry a content hash, so they may be cached for good.
      reply.header('cache-control', 'public, max-age=31536000, immutable');
      return reply.sendFile(join('assets', file));
    });
  };
