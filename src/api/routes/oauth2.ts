import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { AssertionError, CLIENT_ASSERTION_TYPE, verifyClientAssertion, type VerifiedClient } from '../../controls/access/auth/client-assertions.ts';
import { AuthError } from '../../controls/access/auth/errors.ts';
import { grantScopes, parseScopes } from '../../controls/access/auth/system-clients.ts';
import { recordAudit } from '../../controls/audit/audit-event.ts';
import type { AppDeps } from '../app.ts';
import { authServices } from '../authenticate.ts';
import { requestFacts } from '../request-facts.ts';
import { requireStore } from '../require-store.ts';
import { useOAuthErrors } from './auth.ts';

/**
 * The OAuth 2.0 token endpoint for system clients (SMART Backend Services): client_credentials with a private-key JWT
 * assertion. A client gets the scopes it asked for that its registration holds, in a token of at most 15 minutes.
 */
export const TOKEN_PATH = '/oauth2/token';
const FORM = 'application/x-www-form-urlencoded';
const FORM_LIMIT_BYTES = 64 * 1024;

/**
 * The URL a client must put in its assertion's aud. Behind a proxy set VIGIL_PUBLIC_URL: the Host header is then not
 * trusted for it.
 */
export function tokenUrl(request: FastifyRequest, publicUrl: string | undefined): string {
  if (publicUrl) return `${publicUrl}${TOKEN_PATH}`;
  return `${request.protocol}://${request.host}${TOKEN_PATH}`;
}

interface TokenForm {
  grant_type?: string;
  client_assertion_type?: string;
  client_assertion?: string;
  scope?: string;
}

type Outcome = { ok: true; client: VerifiedClient; scopes: string[] } | { ok: false; error: AuthError };

export const oauth2Routes =
  (deps: AppDeps): FastifyPluginAsync =>
  async (app) => {
    const auth = authServices(deps);
    useOAuthErrors(app);

    app.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: FORM_LIMIT_BYTES }, (_request, body, done) => {
      const params = new URLSearchParams(body as string);
      const out: Record<string, string> = Object.create(null) as Record<string, string>;
      for (const [name, value] of params) {
        // RFC 6749 §3.2: a parameter sent twice is an error, not a choice for the server to make.
        if (Object.hasOwn(out, name)) return done(new AuthError('invalid_request', 400, 'Each parameter may appear only once.'), undefined);
        out[name] = value;
      }
      done(null, out);
    });

    app.post<{ Body: TokenForm }>(
      TOKEN_PATH,
      {
        config: { policy: { public: true, why: 'token endpoint: the signed client assertion in the body is the credential' } },
        schema: { tags: ['auth'], summary: 'SMART Backend Services: client_credentials with a private_key_jwt assertion → access token', consumes: [FORM] },
      },
      async (request, reply) => {
        // RFC 6749 §4.4.2: the token request is a form; a JSON body is refused rather than guessed at.
        const form = (request.body ?? {}) as TokenForm;
        if (!(request.headers['content-type'] ?? '').toLowerCase().startsWith(FORM) || typeof form !== 'object' || form === null) {
          throw new AuthError('invalid_request', 400, `Send the parameters as ${FORM}.`);
        }
        if (!form.grant_type) throw new AuthError('invalid_request', 400, 'grant_type is required (client_credentials).');
        if (form.grant_type !== 'client_credentials') throw new AuthError('unsupported_grant_type', 400, 'Only grant_type=client_credentials is supported here.');
        if (form.client_assertion_type !== CLIENT_ASSERTION_TYPE) throw new AuthError('invalid_request', 400, `client_assertion_type must be ${CLIENT_ASSERTION_TYPE}.`);
        if (!form.client_assertion) throw new AuthError('invalid_request', 400, 'client_assertion is required: a JWT signed with your registered private key.');
        if (!form.scope) throw new AuthError('invalid_request', 400, 'scope is required, e.g. "system/Patient.read".');
        const requested = parseScopes(form.scope);
        if (requested.invalid > 0 || requested.scopes.length === 0) throw new AuthError('invalid_scope', 400, 'Scopes must be SMART system scopes such as system/Patient.read or system/Observation.rs.');

        const store = requireStore(deps);
        const facts = requestFacts(request);
        const url = tokenUrl(request, deps.config.publicUrl);
        const outcome = await store.tx(async (trx): Promise<Outcome> => {
          let client: VerifiedClient;
          try {
            client = await verifyClientAssertion(trx, form.client_assertion, url, new Date());
          } catch (err) {
            if (!(err instanceof AssertionError)) throw err;
            await recordAudit(trx, null, facts, {
              action: 'auth.client-token', actionCode: 'E', resourceType: 'SystemClient', resourceIds: err.clientId ? [err.clientId] : [], outcome: 'denied', reasonCode: err.refusal,
              actor: { actorType: 'client', actorId: err.clientId, actorName: null },
            });
            return { ok: false, error: err };
          }
          const subject = { kind: 'client' as const, id: client.id, name: client.name, scopes: client.scopes };
          const scopes = grantScopes(requested.scopes, client.scopes);
          if (scopes.length === 0) {
            await recordAudit(trx, subject, facts, {
              action: 'auth.client-token', actionCode: 'E', resourceType: 'SystemClient', resourceIds: [client.id], outcome: 'denied', reasonCode: 'scope-not-held',
              details: { requested: requested.scopes },
            });
            return { ok: false, error: new AuthError('invalid_scope', 400, 'None of the requested scopes is registered for this client.') };
          }
          await recordAudit(trx, subject, facts, {
            action: 'auth.client-token', actionCode: 'E', resourceType: 'SystemClient', resourceIds: [client.id], outcome: 'success',
            details: { requested: requested.scopes, granted: scopes, kid: client.kid },
          });
          return { ok: true, client, scopes };
        });
        if (!outcome.ok) {
          deps.logger.info('auth.client-refused', { request_id: request.id, error_code: outcome.error.error });
          throw outcome.error;
        }
        const issued = await auth.tokens.issueForClient(store, { clientId: outcome.client.id, scopes: outcome.scopes, ttlSeconds: auth.accessTokenTtlSeconds });
        reply.header('pragma', 'no-cache');
        return { access_token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn, scope: outcome.scopes.join(' ') };
      },
    );

    app.get(
      '/.well-known/smart-configuration',
      {
        config: { policy: { public: true, why: 'SMART discovery document: endpoints and supported methods, no data' } },
        schema: { tags: ['auth'], summary: 'SMART configuration for backend services' },
      },
      async (request) => smartConfiguration(request, deps.config.publicUrl),
    );
  };

/** The SMART configuration document; the FHIR base serves the same one under its own .well-known. */
export function smartConfiguration(request: FastifyRequest, publicUrl: string | undefined) {
  return {
    token_endpoint: tokenUrl(request, publicUrl),
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: ['private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384', 'EdDSA'],
    scopes_supported: ['system/*.read', 'system/*.write', 'system/*.rs', 'system/*.cud'],
    capabilities: ['client-confidential-asymmetric'],
  };
}
