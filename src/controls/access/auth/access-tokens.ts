import { createPublicKey, randomUUID, type KeyObject } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT, type JWTHeaderParameters, type JWTPayload } from 'jose';
import { VigilError } from '../../../errors.ts';
import type { Store } from '../../../store/store.ts';
import type { KeyEncryptionService } from '../../keys/keyring.ts';
import { SigningKeys, type ActiveSigningKey } from '../../keys/signing-keys.ts';

/**
 * Access tokens: EdDSA (Ed25519) JWTs, typ at+jwt (RFC 9068), signed by the `token` signing key. Verification pins
 * the algorithm, the type, the issuer and the audience, and takes the key only by its id from Vigil's own token keys,
 * so `alg: none`, an HMAC made with a public key, a key a caller brings along, or a tampered claim are all refused.
 * A token names its session (people) or its client (systems); the request hook still checks that session or client on
 * every request, so a revocation takes effect before the token runs out.
 */
export const ISSUER = 'vigil';
export const AUDIENCE = 'vigil-api';
export const MAX_TTL_SECONDS = 900;
const TOKEN_TYPE = 'at+jwt';
const CLOCK_TOLERANCE_SECONDS = 5;
// How long the signing key is reused before it is read again (a rotation elsewhere is picked up within this).
const ACTIVE_KEY_CACHE_MS = 5 * 60_000;
// A retired key still verifies the tokens it signed before they expire, whoever cached it last.
const RETIRED_KEY_GRACE_MS = MAX_TTL_SECONDS * 1000 + ACTIVE_KEY_CACHE_MS + 60_000;
// An unknown key id reloads the public keys at most this often, so random key ids cannot hammer the database.
const RELOAD_MIN_INTERVAL_MS = 5_000;
const KID = /^[A-Za-z0-9_.-]{1,80}$/;

export type TokenProblem = 'token-invalid' | 'token-expired';

export class TokenError extends VigilError {
  constructor(code: TokenProblem) {
    super(
      code,
      401,
      code === 'token-expired'
        ? 'The access token has expired: get a new one with your refresh token or sign in again.'
        : 'The access token is not valid here: sign in again to get a new one.',
    );
  }
}

export interface PersonTokenClaims {
  kind: 'person';
  sub: string;
  sid: string;
  iat: number;
  exp: number;
  jti: string;
}

export interface ClientTokenClaims {
  kind: 'client';
  sub: string;
  clientId: string;
  scopes: string[];
  iat: number;
  exp: number;
  jti: string;
}

export type TokenClaims = PersonTokenClaims | ClientTokenClaims;

export interface IssuedToken {
  token: string;
  expiresIn: number;
  expiresAt: Date;
}

interface CachedPublicKey {
  key: KeyObject;
  retiredAt: Date | null;
}

export class AccessTokens {
  private readonly keys: SigningKeys;
  private active: { key: ActiveSigningKey; loadedAt: number } | undefined;
  private loadingActive: Promise<ActiveSigningKey> | undefined;
  private publicKeys = new Map<string, CachedPublicKey>();
  private lastReload = 0;
  private reloading: Promise<void> | undefined;

  constructor(keyring: KeyEncryptionService) {
    this.keys = new SigningKeys(keyring, 'token');
  }

  private async signingKey(store: Store): Promise<ActiveSigningKey> {
    if (this.active && Date.now() - this.active.loadedAt < ACTIVE_KEY_CACHE_MS) return this.active.key;
    this.loadingActive ??= this.keys
      .active(store)
      .then((key) => {
        this.active = { key, loadedAt: Date.now() };
        this.publicKeys.set(key.keyId, { key: key.publicKey, retiredAt: null });
        return key;
      })
      .finally(() => {
        this.loadingActive = undefined;
      });
    return this.loadingActive;
  }

  private async sign(store: Store, claims: JWTPayload, subject: string, ttlSeconds: number, now: Date): Promise<IssuedToken> {
    const ttl = Math.min(Math.max(Math.floor(ttlSeconds), 1), MAX_TTL_SECONDS);
    const key = await this.signingKey(store);
    const iat = Math.floor(now.getTime() / 1000);
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', typ: TOKEN_TYPE, kid: key.keyId })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(subject)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ttl)
      .setJti(randomUUID())
      .sign(key.privateKey);
    return { token, expiresIn: ttl, expiresAt: new Date((iat + ttl) * 1000) };
  }

  /** `now` lets a test mint a token that is already expired, signed by the real key. */
  async issueForPerson(store: Store, input: { personId: string; sessionId: string; ttlSeconds: number; now?: Date }): Promise<IssuedToken> {
    return this.sign(store, { kind: 'person', sid: input.sessionId }, input.personId, input.ttlSeconds, input.now ?? new Date());
  }

  async issueForClient(store: Store, input: { clientId: string; scopes: readonly string[]; ttlSeconds: number; now?: Date }): Promise<IssuedToken> {
    return this.sign(store, { kind: 'client', client_id: input.clientId, scope: input.scopes.join(' ') }, input.clientId, input.ttlSeconds, input.now ?? new Date());
  }

  private async reloadPublicKeys(store: Store): Promise<void> {
    if (Date.now() - this.lastReload < RELOAD_MIN_INTERVAL_MS) return this.reloading;
    this.lastReload = Date.now();
    this.reloading = this.keys.publicKeys(store.db).then((rows) => {
      const next = new Map<string, CachedPublicKey>();
      for (const row of rows) next.set(row.keyId, { key: createPublicKey(row.publicKeyPem), retiredAt: row.retiredAt ? new Date(row.retiredAt) : null });
      this.publicKeys = next;
    });
    return this.reloading;
  }

  private async verificationKey(store: Store, header: JWTHeaderParameters, now: Date): Promise<KeyObject> {
    const kid = header.kid;
    if (typeof kid !== 'string' || !KID.test(kid)) throw new TokenError('token-invalid');
    if (!this.publicKeys.has(kid)) await this.reloadPublicKeys(store);
    const found = this.publicKeys.get(kid);
    if (!found) throw new TokenError('token-invalid');
    if (found.retiredAt && now.getTime() - found.retiredAt.getTime() > RETIRED_KEY_GRACE_MS) throw new TokenError('token-invalid');
    return found.key;
  }

  /** The claims of a valid token; throws TokenError (never a library error, whose text may quote the token). */
  async verify(store: Store, token: string, now: Date = new Date()): Promise<TokenClaims> {
    if (typeof token !== 'string' || token.length > 4096 || token.split('.').length !== 3) throw new TokenError('token-invalid');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, (header) => this.verificationKey(store, header, now), {
        algorithms: ['EdDSA'],
        typ: TOKEN_TYPE,
        issuer: ISSUER,
        audience: AUDIENCE,
        requiredClaims: ['sub', 'iat', 'exp', 'jti'],
        maxTokenAge: MAX_TTL_SECONDS + CLOCK_TOLERANCE_SECONDS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: now,
      }));
    } catch (err) {
      if (err instanceof TokenError) throw err;
      if (err instanceof joseErrors.JWTExpired) throw new TokenError('token-expired');
      if (err instanceof joseErrors.JOSEError || err instanceof TypeError) throw new TokenError('token-invalid');
      // The database did not answer while keys were loaded: that is an outage to report, not a bad token.
      throw err;
    }
    const { sub, iat, exp, jti } = payload as { sub: string; iat: number; exp: number; jti: string };
    // A token that claims a longer life than Vigil ever grants was not made by Vigil's rules, whoever signed it.
    if (exp - iat > MAX_TTL_SECONDS) throw new TokenError('token-invalid');
    if (payload.kind === 'person' && typeof payload.sid === 'string' && payload.client_id === undefined) {
      return { kind: 'person', sub, sid: payload.sid, iat, exp, jti };
    }
    if (payload.kind === 'client' && typeof payload.client_id === 'string' && payload.client_id === sub && typeof payload.scope === 'string' && payload.sid === undefined) {
      return { kind: 'client', sub, clientId: payload.client_id, scopes: payload.scope.split(' ').filter(Boolean), iat, exp, jti };
    }
    throw new TokenError('token-invalid');
  }
}
