import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { sql } from 'kysely';
import { VigilError, NotFoundError } from '../../../errors.ts';
import type { Db, Tx } from '../../../store/store.ts';

/**
 * Systems (EHRs, labs, vendors) sign in as OAuth clients with a signed JWT assertion (SMART Backend Services). Vigil
 * keeps only their public keys, each with an expiry; rotation adds a key and lets the old one live for an overlap;
 * revocation stops the client at once, including tokens already issued (the request hook checks the client).
 * Scopes are SMART system scopes; v2 suffixes (.rs, .cud, .cruds) are stored in the v1 form (.read, .write, .*).
 */
export class ClientRegistrationError extends VigilError {
  constructor(message: string) {
    super('client-invalid', 400, message);
  }
}

export const CLIENT_ID = /^[a-z0-9][a-z0-9._-]{1,63}$/;
const KID = /^[A-Za-z0-9._-]{1,80}$/;
const SCOPE = /^system\/([A-Z][A-Za-z]{1,63}|\*)\.(read|write|\*|rs|cud|cruds)$/;

export type ClientKeyAlgorithm = 'ES384' | 'RS384' | 'EdDSA';

/** The canonical form of one scope, or null when it is not a SMART system scope Vigil accepts. */
export function normaliseScope(scope: string): string | null {
  const m = SCOPE.exec(scope.trim());
  if (!m) return null;
  const access = { read: 'read', rs: 'read', write: 'write', cud: 'write', '*': '*', cruds: '*' }[m[2]!];
  return `system/${m[1]}.${access}`;
}

/** Splits a space-separated scope string; `invalid` holds what was not understood (for an error message). */
export function parseScopes(text: string): { scopes: string[]; invalid: number } {
  const parts = text.split(/\s+/).filter(Boolean);
  const scopes = new Set<string>();
  let invalid = 0;
  for (const part of parts) {
    const scope = normaliseScope(part);
    if (scope) scopes.add(scope);
    else invalid += 1;
  }
  return { scopes: [...scopes].sort(), invalid };
}

type Access = 'read' | 'write';
function split(scope: string): { resource: string; access: Access[] } {
  const [, rest] = scope.split('/') as [string, string];
  const dot = rest.lastIndexOf('.');
  const resource = rest.slice(0, dot);
  const access = rest.slice(dot + 1);
  return { resource, access: access === '*' ? ['read', 'write'] : [access as Access] };
}

/**
 * What a client gets: each requested scope narrowed to what its registration holds (a wildcard request gets the
 * specific registered scopes it covers; a request broader than the registration gets only the registered part).
 */
export function grantScopes(requested: readonly string[], registered: readonly string[]): string[] {
  const granted = new Map<string, Set<Access>>();
  for (const want of requested.map(split)) {
    for (const have of registered.map(split)) {
      let resource: string;
      if (have.resource === '*') resource = want.resource;
      else if (want.resource === '*' || want.resource === have.resource) resource = have.resource;
      else continue;
      for (const access of want.access) {
        if (!have.access.includes(access)) continue;
        if (!granted.has(resource)) granted.set(resource, new Set());
        granted.get(resource)!.add(access);
      }
    }
  }
  const wildcard = granted.get('*') ?? new Set<Access>();
  const out: string[] = [];
  for (const [resource, access] of granted) {
    const left = resource === '*' ? [...access] : [...access].filter((a) => !wildcard.has(a));
    if (left.length === 2) out.push(`system/${resource}.*`);
    else if (left.length === 1) out.push(`system/${resource}.${left[0]}`);
  }
  return out.sort();
}

/** The one algorithm a registered key may sign with, from its type: never taken from a token's header. */
export function algorithmOf(jwk: JWK): ClientKeyAlgorithm | null {
  if (jwk.kty === 'EC' && jwk.crv === 'P-384') return 'ES384';
  if (jwk.kty === 'RSA' && typeof jwk.n === 'string' && Buffer.from(jwk.n, 'base64url').length >= 256) return 'RS384';
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  return null;
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** Checks a public JWK and gives it a key id (its own if it has a usable one, else its RFC 7638 thumbprint). */
export async function preparePublicJwk(input: unknown): Promise<{ jwk: JWK; kid: string; alg: ClientKeyAlgorithm }> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ClientRegistrationError('The public key must be a JWK (a JSON object).');
  const jwk = input as JWK;
  if (PRIVATE_MEMBERS.some((m) => m in jwk)) throw new ClientRegistrationError('That JWK holds a private key: register only the public key, and keep the private key with the client.');
  const alg = algorithmOf(jwk);
  if (!alg) throw new ClientRegistrationError('The public key must be EC P-384 (ES384), RSA of at least 2048 bits (RS384) or Ed25519 (EdDSA).');
  if (jwk.alg !== undefined && jwk.alg !== alg && !(alg === 'EdDSA' && jwk.alg === 'Ed25519')) throw new ClientRegistrationError(`The key says alg ${String(jwk.alg).slice(0, 10)}, but a key of this type signs with ${alg}.`);
  const kid = typeof jwk.kid === 'string' && KID.test(jwk.kid) ? jwk.kid : await calculateJwkThumbprint(jwk, 'sha256');
  const clean: JWK = { kty: jwk.kty };
  for (const member of ['crv', 'x', 'y', 'n', 'e'] as const) if (typeof jwk[member] === 'string') clean[member] = jwk[member];
  return { jwk: { ...clean, kid, alg, use: 'sig' }, kid, alg };
}

/** A new ES384 key pair for a client that has none: the public half is registered, the private half goes to the client. */
export async function generateClientKeyPair(): Promise<{ publicJwk: JWK; privateJwk: JWK; kid: string }> {
  const { publicKey, privateKey } = await generateKeyPair('ES384', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
  const privateJwk = await exportJWK(privateKey);
  return { publicJwk: { ...publicJwk, kid, alg: 'ES384', use: 'sig' }, privateJwk: { ...privateJwk, kid, alg: 'ES384', use: 'sig' }, kid };
}

async function insertKey(db: Db | Tx, clientId: string, publicJwk: unknown, expiresAt: Date): Promise<string> {
  const { jwk, kid } = await preparePublicJwk(publicJwk);
  const taken = await db.selectFrom('system_client_keys').select('kid').where('kid', '=', kid).executeTakeFirst();
  if (taken) throw new ClientRegistrationError('This key is already registered (to this or another client): make a new key pair for each credential.');
  await db.insertInto('system_client_keys').values({ kid, client_id: clientId, public_jwk: JSON.stringify(jwk), expires_at: expiresAt }).execute();
  return kid;
}

export interface NewClient {
  id: string;
  name: string;
  scopes: readonly string[];
  publicJwk: unknown;
  expiresAt: Date;
}

export async function createSystemClient(db: Db | Tx, input: NewClient): Promise<{ id: string; kid: string; scopes: string[] }> {
  if (!CLIENT_ID.test(input.id)) throw new ClientRegistrationError('A client id is 2 to 64 characters: lower-case letters, digits, ".", "_" and "-", starting with a letter or digit.');
  const name = input.name.trim();
  if (name.length === 0 || name.length > 200) throw new ClientRegistrationError('A client needs a name of 1 to 200 characters.');
  const { scopes, invalid } = parseScopes(input.scopes.join(' '));
  if (invalid > 0 || scopes.length === 0) throw new ClientRegistrationError('Scopes must be SMART system scopes such as "system/Patient.read system/Observation.write".');
  if (input.expiresAt.getTime() <= Date.now()) throw new ClientRegistrationError('The credential must expire in the future.');
  const exists = await db.selectFrom('system_clients').select('id').where('id', '=', input.id).executeTakeFirst();
  if (exists) throw new ClientRegistrationError('A client with this id exists already: rotate its key instead, or choose another id.');
  await db.insertInto('system_clients').values({ id: input.id, name, scopes }).execute();
  const kid = await insertKey(db, input.id, input.publicJwk, input.expiresAt);
  return { id: input.id, kid, scopes };
}

/**
 * Adds a new key and shortens the life of the client's other live keys to the overlap, so the client can switch over
 * without a moment in which neither key works.
 */
export async function rotateClientKey(db: Db | Tx, input: { clientId: string; publicJwk: unknown; expiresAt: Date; overlapDays: number; now?: Date }): Promise<{ kid: string; oldKeysExpireAt: Date; retiring: string[] }> {
  const now = input.now ?? new Date();
  const client = await db.selectFrom('system_clients').select(['id', 'status']).where('id', '=', input.clientId).executeTakeFirst();
  if (!client) throw new NotFoundError('No client has this id.');
  if (client.status !== 'active') throw new ClientRegistrationError('This client is revoked: create a new client instead of rotating a revoked one.');
  const oldKeysExpireAt = new Date(now.getTime() + Math.max(0, input.overlapDays) * 86_400_000);
  const retiring = await db
    .updateTable('system_client_keys')
    .set({ expires_at: sql<Date>`least(expires_at, ${oldKeysExpireAt})` })
    .where('client_id', '=', input.clientId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .returning('kid')
    .execute();
  const kid = await insertKey(db, input.clientId, input.publicJwk, input.expiresAt);
  return { kid, oldKeysExpireAt, retiring: retiring.map((r) => r.kid) };
}

/** Immediate: the client can get no new token, and its outstanding tokens fail on their next request. */
export async function revokeSystemClient(db: Db | Tx, clientId: string, now: Date = new Date()): Promise<{ alreadyRevoked: boolean }> {
  const client = await db.selectFrom('system_clients').select(['id', 'status']).where('id', '=', clientId).executeTakeFirst();
  if (!client) throw new NotFoundError('No client has this id.');
  if (client.status === 'revoked') return { alreadyRevoked: true };
  await db.updateTable('system_clients').set({ status: 'revoked', revoked_at: now }).where('id', '=', clientId).execute();
  await db.updateTable('system_client_keys').set({ revoked_at: now }).where('client_id', '=', clientId).where('revoked_at', 'is', null).execute();
  return { alreadyRevoked: false };
}

export interface ClientListing {
  id: string;
  name: string;
  scopes: string[];
  status: 'active' | 'revoked';
  createdAt: string;
  revokedAt: string | null;
  keys: { kid: string; alg: string | null; createdAt: string; expiresAt: string; revokedAt: string | null; state: 'live' | 'expired' | 'revoked' }[];
}

export async function listSystemClients(db: Db | Tx, now: Date = new Date()): Promise<ClientListing[]> {
  const clients = await db.selectFrom('system_clients').selectAll().orderBy('id').execute();
  const keys = await db.selectFrom('system_client_keys').selectAll().orderBy('created_at').execute();
  return clients.map((c) => ({
    id: c.id,
    name: c.name,
    scopes: c.scopes,
    status: c.status,
    createdAt: c.created_at.toISOString(),
    revokedAt: c.revoked_at ? c.revoked_at.toISOString() : null,
    keys: keys
      .filter((k) => k.client_id === c.id)
      .map((k) => ({
        kid: k.kid,
        alg: typeof k.public_jwk.alg === 'string' ? k.public_jwk.alg : null,
        createdAt: k.created_at.toISOString(),
        expiresAt: k.expires_at.toISOString(),
        revokedAt: k.revoked_at ? k.revoked_at.toISOString() : null,
        state: k.revoked_at ? ('revoked' as const) : k.expires_at.getTime() <= now.getTime() ? ('expired' as const) : ('live' as const),
      })),
  }));
}
