import type { FastifyInstance } from 'fastify';

/**
 * Every route declares what it does before it may exist: either an action on a resource type, which the policy
 * decision point rules on, or that it is public and why. A route registered without a declaration stops the server
 * from building (deny by default starts at registration).
 */
export type RoutePolicy =
  | { public: true; why: string }
  | {
      action: string;
      resource: string;
      /**
       * The route's access depends on which patient it touches: the guard only checks that the subject may do the
       * action somewhere, and the handler asks the decision point again with the patient, inside its transaction.
       */
      patient?: true;
    };

declare module 'fastify' {
  interface FastifyContextConfig {
    policy?: RoutePolicy;
  }
}

export interface RegisteredRoute {
  method: string;
  url: string;
  policy: RoutePolicy | undefined;
}

export class UndeclaredRouteError extends Error {
  constructor(method: string, url: string) {
    super(`Route ${method} ${url} declares no policy: add config.policy ({ action, resource } or { public: true, why }).`);
    this.name = 'UndeclaredRouteError';
  }
}

/** Installs the check and returns the live list of routes with their declarations (tests read it). */
export function enforceRoutePolicies(app: FastifyInstance): RegisteredRoute[] {
  const routes: RegisteredRoute[] = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const policy = (route.config as { policy?: RoutePolicy } | undefined)?.policy;
    for (const method of methods) {
      if (!policy) throw new UndeclaredRouteError(method, route.url);
      routes.push({ method, url: route.url, policy });
    }
  });
  return routes;
}
