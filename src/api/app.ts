import { randomUUID } from 'node:crypto';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import type { VigilConfig } from '../config/settings.ts';
import type { Subject } from '../controls/access/subject.ts';
import type { KeyEncryptionService } from '../controls/keys/keyring.ts';
import { describeError } from '../errors.ts';
import { stackFrames, type Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { HealthService } from '../runtime/health.ts';
import type { Store } from '../store/store.ts';
import { installAuthentication } from './authenticate.ts';
import { parseJsonBody } from './json-body.ts';
import { sendProblem, toProblem } from './problem.ts';
import { enforceRoutePolicies, type RegisteredRoute } from './route-policy.ts';
import { accountRoutes } from './routes/accounts.ts';
import { auditProofRoutes } from './routes/audit-proofs.ts';
import { authRoutes } from './routes/auth.ts';
import { oauth2Routes } from './routes/oauth2.ts';
import { installGuard } from './guard.ts';
import { accessCheckRoutes } from './routes/access-check.ts';
import { auditSearchRoutes } from './routes/audit-search.ts';
import { fhirBinaryRoutes } from './routes/fhir-binary.ts';
import { fhirClinicalRoutes } from './routes/fhir-clinical.ts';
import { fhirInboundRoutes } from './routes/fhir-inbound.ts';
import { gatewayRoutes } from './routes/gateway.ts';
import { breakGlassRoutes } from './routes/break-glass.ts';
import { directoryRoutes } from './routes/directory.ts';
import { fhirPatientRoutes } from './routes/fhir-patient.ts';
import { healthRoutes } from './routes/health.ts';
import { identityRoutes } from './routes/identity.ts';
import { instanceRoutes } from './routes/instance.ts';
import { webRoutes } from './routes/web.ts';
import { installFhirFreshness } from './fhir-freshness.ts';

export interface AppDeps {
  config: VigilConfig;
  logger: Logger;
  metrics: Metrics;
  health: HealthService;
  /** Undefined until the database is reachable and migrated; routes that need it answer 503 meanwhile. */
  store: () => Store | undefined;
  version: string;
  /** The key-encryption keys (KMS-shaped): everything that wraps or unwraps key material goes through it. */
  keyring: KeyEncryptionService;
  /** True once shutdown began: answers then ask clients to close their keep-alive connections. */
  isStopping: () => boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is asking, set by authentication before any handler runs; null when the request carries no valid credential. */
    subject: Subject | null;
  }
}

export interface VigilApp {
  app: FastifyInstance;
  routes: RegisteredRoute[];
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,64}$/;

export async function buildApp(deps: AppDeps, extend?: (app: FastifyInstance) => Promise<void> | void): Promise<VigilApp> {
  const app = Fastify({
    logger: false,
    bodyLimit: deps.config.bodyLimitBytes,
    // Keep a caller's id (a gateway or load balancer may set one) only if it looks like an id, not data.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    forceCloseConnections: 'idle',
    // A misspelt field must be a 400 the caller sees, not silently dropped (Fastify's default removes it).
    ajv: { customOptions: { removeAdditional: false } },
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true },
  });
  const routes = enforceRoutePolicies(app);
  app.decorateRequest('subject', null);
  installGuard(app, deps);

  app.removeContentTypeParser(['application/json']);
  app.addContentTypeParser(['application/json', 'application/fhir+json'], { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  await app.register(helmet, {
    contentSecurityPolicy: {
      // Helmet's defaults add upgrade-insecure-requests, which breaks the page over plain HTTP on a real host name.
      useDefaults: false,
      directives: { defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], imgSrc: ["'self'", 'data:'], connectSrc: ["'self'"], fontSrc: ["'self'"], objectSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'self'"], formAction: ["'self'"] },
    },
    hsts: false,
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Vigil API', version: deps.version, description: 'Clinical data platform: health, sign-in, access control, audit trail, directory and patient APIs. Every route declares the action it performs.' },
    },
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // Responses may carry patient data: no shared cache may keep them. Static assets override this.
    reply.header('cache-control', 'no-store');
  });

  app.addHook('onSend', async (_request, reply, payload) => {
    if (deps.isStopping()) reply.header('connection', 'close');
    return payload;
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    deps.metrics.httpRequests.inc({ method: request.method, route, status_code: String(reply.statusCode) });
    deps.metrics.httpDuration.observe({ method: request.method, route }, seconds);
    deps.logger.info('http.request', {
      method: request.method,
      route,
      status: reply.statusCode,
      duration_ms: Math.round(reply.elapsedTime * 100) / 100,
      request_id: request.id,
    });
  });

  app.setErrorHandler((err, request, reply) => {
    const problem = toProblem(err, request.id);
    if (problem.status >= 500) {
      deps.logger.error('http.error', { ...describeError(err), request_id: request.id, route: request.routeOptions.url ?? 'unmatched', err_frames: stackFrames(err) });
    }
    return sendProblem(request, reply, problem);
  });
  app.setNotFoundHandler({}, (request, reply) =>
    sendProblem(request, reply, toProblem({ code: 'FST_ERR_NOT_FOUND', statusCode: 404 }, request.id)),
  );

  // After the request-id hook (so refusals carry an id), before every route: sets request.subject for the guard.
  installAuthentication(app, deps);
  await app.register(authRoutes(deps));
  await app.register(oauth2Routes(deps));
  await app.register(accountRoutes(deps));
  await app.register(healthRoutes(deps));
  await app.register(instanceRoutes(deps));
  installFhirFreshness(app, deps);
  await app.register(fhirPatientRoutes(deps));
  await app.register(fhirClinicalRoutes(deps));
  await app.register(fhirBinaryRoutes(deps));
  await app.register(fhirInboundRoutes(deps));
  await app.register(breakGlassRoutes(deps));
  await app.register(directoryRoutes(deps));
  await app.register(accessCheckRoutes(deps));
  await app.register(auditSearchRoutes(deps));
  await app.register(gatewayRoutes(deps));
  await app.register(identityRoutes(deps));
  await app.register(auditProofRoutes(deps));
  app.get('/openapi.json', { config: { policy: { public: true, why: 'API description, no data' } }, schema: { hide: true } }, async () => app.swagger());
  await app.register(webRoutes(deps));
  if (extend) await extend(app);
  await app.ready();
  return { app, routes };
}
