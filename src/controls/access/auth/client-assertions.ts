import { decodeJwt, decodeProtectedHeader, errors as joseErrors, importJWK, jwtVerify, type JWK } from 'jose';
import type { Tx } from '../../../store/store.ts';
import { AuthError } from './errors.ts';
import { algorithmOf, CLIENT_ID } from './system-clients.ts';

/**
 * Verifies a SMART Backend Services client assertion (RFC 7523 private_key_jwt): signed by one of the client's
 * registered keys (chosen by kid, algorithm fixed by the key's type), iss = sub = client id, aud = this token URL,
 * expiring within five minutes, and a jti never seen before. The signature is checked before the credential's state
 * is reported, so only the key holder learns that its key expired or its client was revoked.
 */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const MAX_ASSERTION_LIFETIME_SECONDS = 300;
const CLOCK_TOLERANCE_SECONDS = 30;
const KID = /^[A-Za-z0-9._-]{1,80}$/;

export type AssertionRefusal =
  | 'malformed'
  | 'unknown-client'
  | 'unknown-key'
  | 'bad-signature'
  | 'wrong-audience'
  | 'bad-claims'
  | 'expired-assertion'
  | 'lifetime-too-long'
  | 'replayed'
  | 'client-revoked'
  | 'credential-revoked'
  | 'credential-expired';

const DESCRIPTIONS: Record<AssertionRefusal, string> = {
  malformed: 'client_assertion must be a signed JWT whose header names the key (kid) and whose iss is the client id.',
  'unknown-client': 'The client or its key is not registered here.',
  'unknown-key': 'The client or its key is not registered here.',
  'bad-signature': 'The client assertion could not be verified with the registered key.',
  'wrong-audience': 'The client assertion must have this token endpoint URL as its aud.',
  'bad-claims': 'The client assertion must carry iss and sub equal to the client id, exp and jti.',
  'expired-assertion': 'The client assertion has expired: make a new one for each token request.',
  'lifetime-too-long': `The client assertion may expire at most ${MAX_ASSERTION_LIFETIME_SECONDS / 60} minutes after it is made.`,
  replayed: 'This client assertion was already used (same jti): make a new one for each token request.',
  'client-revoked': 'client revoked',
  'credential-revoked': 'client credential revoked',
  'credential-expired': 'client credential expired',
};

export class AssertionError extends AuthError {
  readonly refusal: AssertionRefusal;
  /** The client, when the assertion named one that exists (for the audit event). */
  readonly clientId: string | null;
  constructor(refusal: AssertionRefusal, clientId: string | null) {
    super('invalid_client', 401, DESCRIPTIONS[refusal]);
    this.refusal = refusal;
    this.clientId = clientId;
  }
}

export interface VerifiedClient {
  id: string;
  name: string;
  scopes: string[];
  kid: string;
}

/** Run inside the transaction that records the jti, so a replay racing the first use finds it. */
export async function verifyClientAssertion(trx: Tx, assertion: unknown, tokenUrl: string, now: Date = new Date()): Promise<VerifiedClient> {
  if (typeof assertion !== 'string' || assertion.length > 16_384 || assertion.split('.').length !== 3) throw new AssertionError('malformed', null);
  let kid: unknown;
  let iss: unknown;
  try {
    kid = decodeProtectedHeader(assertion).kid;
    iss = decodeJwt(assertion).iss;
  } catch {
    throw new AssertionError('malformed', null);
  }
  if (typeof kid !== 'string' || !KID.test(kid) || typeof iss !== 'string' || !CLIENT_ID.test(iss)) throw new AssertionError('malformed', null);

  const client = await trx.selectFrom('system_clients').selectAll().where('id', '=', iss).executeTakeFirst();
  if (!client) throw new AssertionError('unknown-client', null);
  const key = await trx.selectFrom('system_client_keys').selectAll().where('kid', '=', kid).where('client_id', '=', client.id).executeTakeFirst();
  if (!key) throw new AssertionError('unknown-key', client.id);
  const jwk = key.public_jwk as JWK;
  const alg = algorithmOf(jwk);
  if (!alg) throw new AssertionError('unknown-key', client.id);

  let exp: number;
  let jti: unknown;
  try {
    const publicKey = await importJWK({ ...jwk, alg }, alg);
    const { payload } = await jwtVerify(assertion, publicKey, {
      algorithms: [alg],
      issuer: client.id,
      subject: client.id,
      audience: tokenUrl,
      requiredClaims: ['exp', 'jti'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: now,
    });
    exp = payload.exp!;
    jti = payload.jti;
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw new AssertionError('expired-assertion', client.id);
    if (err instanceof joseErrors.JWTClaimValidationFailed) throw new AssertionError(err.claim === 'aud' ? 'wrong-audience' : 'bad-claims', client.id);
    throw new AssertionError('bad-signature', client.id);
  }

  if (client.status !== 'active') throw new AssertionError('client-revoked', client.id);
  if (key.revoked_at) throw new AssertionError('credential-revoked', client.id);
  if (key.expires_at.getTime() <= now.getTime()) throw new AssertionError('credential-expired', client.id);
  if (exp - now.getTime() / 1000 > MAX_ASSERTION_LIFETIME_SECONDS + CLOCK_TOLERANCE_SECONDS) throw new AssertionError('lifetime-too-long', client.id);
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) throw new AssertionError('bad-claims', client.id);

  await trx.deleteFrom('client_assertion_jtis').where('expires_at', '<', new Date(now.getTime() - CLOCK_TOLERANCE_SECONDS * 1000)).execute();
  const fresh = await trx
    .insertInto('client_assertion_jtis')
    .values({ client_id: client.id, jti, expires_at: new Date(exp * 1000) })
    .onConflict((oc) => oc.columns(['client_id', 'jti']).doNothing())
    .returning('jti')
    .executeTakeFirst();
  if (!fresh) throw new AssertionError('replayed', client.id);
  return { id: client.id, name: client.name, scopes: client.scopes, kid: key.kid };
}
