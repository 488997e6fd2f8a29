import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { createSystemClient, revokeSystemClient, rotateClientKey } from '../src/controls/access/auth/system-clients.ts';
import type { Store } from '../src/store/store.ts';
import { startTestVigil, type TestVigil } from './support/in-process.ts';
import { createTestDatabase, tempDir, type TestDatabase } from './support/test-db.ts';

/**
 * System clients (SMART Backend Services) through HTTP: a client signs an assertion with its private key and trades it
 * at /oauth2/token for a short-lived token carrying the scopes it holds. Replays, wrong audiences, expired and revoked
 * credentials are refused with a clear error and an audit event; a revoked client's token stops at the next request.
 * The CLI registers, rotates, revokes and lists clients without ever printing a private key.
 */
let t: TestVigil;
let store: Store;
const secrets: string[] = [];
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

before(async () => {
  t = await startTestVigil({
    demo: false,
    // A public route that shows what the authentication hook made of the request, independent of any policy.
    extendApp: (app) => {
      app.get('/test/subject', { config: { policy: { public: true, why: 'test probe' } } }, async (request) => ({ subject: request.subject, problem: request.credentialProblem }));
    },
  });
  store = t.vigil.store;
});
after(async () => {
  await t.close();
});

interface Client {
  id: string;
  kid: string;
  privateKey: CryptoKey;
  alg: 'ES384' | 'RS384' | 'EdDSA';
}

async function client(id: string, scopes: string[], alg: Client['alg'] = 'ES384', expiresAt = new Date(Date.now() + 86_400_000)): Promise<Client> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const created = await createSystemClient(store.db, { id, name: `Test ${id}`, scopes, publicJwk: await exportJWK(publicKey), expiresAt });
  return { id, kid: created.kid, privateKey, alg };
}

const tokenUrl = () => `${t.url}/oauth2/token`;

async function assertion(c: Client, overrides: { aud?: string; exp?: number; jti?: string; iss?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = await new SignJWT({})
    .setProtectedHeader({ alg: c.alg, kid: c.kid, typ: 'JWT' })
    .setIssuer(overrides.iss ?? c.id)
    .setSubject(c.id)
    .setAudience(overrides.aud ?? tokenUrl())
    .setIssuedAt(now)
    .setExpirationTime(overrides.exp ?? now + 240)
    .setJti(overrides.jti ?? randomUUID())
    .sign(c.privateKey);
  secrets.push(jwt);
  return jwt;
}

async function token(form: Record<string, string>): Promise<{ status: number; body: Record<string, string | number> }> {
  const res = await fetch(tokenUrl(), { method: 'POST', headers: FORM, body: new URLSearchParams(form).toString() });
  const body = (await res.json()) as Record<string, string | number>;
  if (typeof body.access_token === 'string') secrets.push(body.access_token);
  return { status: res.status, body };
}

const grant = (clientAssertion: string, scope: string) => ({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: clientAssertion, scope });

async function probe(accessToken: string): Promise<{ subject: { kind: string; id: string; scopes: string[] } | null; problem: string | null }> {
  const res = await fetch(`${t.url}/test/subject`, { headers: { authorization: `Bearer ${accessToken}` } });
  return (await res.json()) as { subject: { kind: string; id: string; scopes: string[] } | null; problem: string | null };
}

async function refusals(clientId: string | null): Promise<(string | null)[]> {
  let q = store.db.selectFrom('audit.events').select('reason_code').where('action', '=', 'auth.client-token').where('outcome', '=', 'denied');
  q = clientId ? q.where('actor_id', '=', clientId) : q.where('actor_id', 'is', null);
  return (await q.orderBy('recorded_at').execute()).map((r) => r.reason_code);
}

test('a client trades a signed assertion for a short-lived token with the scope it asked for', async () => {
  const lab = await client('north-lab', ['system/Patient.read', 'system/Observation.write']);
  const r = await token(grant(await assertion(lab), 'system/Observation.write'));
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.token_type, 'Bearer');
  assert.ok(Number(r.body.expires_in) > 0 && Number(r.body.expires_in) <= 900);
  assert.equal(r.body.scope, 'system/Observation.write');
  const seen = await probe(String(r.body.access_token));
  assert.deepEqual(seen.subject, { kind: 'client', id: 'north-lab', name: 'Test north-lab', scopes: ['system/Observation.write'] });

  const events = await store.db.selectFrom('audit.events').select(['outcome', 'actor_type']).where('action', '=', 'auth.client-token').where('actor_id', '=', 'north-lab').execute();
  assert.deepEqual(events, [{ outcome: 'success', actor_type: 'client' }]);
});

test('RS384 and EdDSA keys work too; the algorithm comes from the registered key, not from the token', async () => {
  const rsa = await client('rsa-ehr', ['system/Patient.read'], 'RS384');
  assert.equal((await token(grant(await assertion(rsa), 'system/Patient.read'))).status, 200);
  const ed = await client('ed-vendor', ['system/Patient.read'], 'EdDSA');
  assert.equal((await token(grant(await assertion(ed), 'system/Patient.read'))).status, 200);
  // An ES384 assertion made with a key registered nowhere, claiming the RSA client's kid.
  const stranger = await generateKeyPair('ES384');
  const forged = await new SignJWT({}).setProtectedHeader({ alg: 'ES384', kid: rsa.kid }).setIssuer(rsa.id).setSubject(rsa.id).setAudience(tokenUrl()).setExpirationTime('4m').setJti(randomUUID()).sign(stranger.privateKey);
  const r = await token(grant(forged, 'system/Patient.read'));
  assert.equal(r.status, 401);
  assert.equal(r.body.error, 'invalid_client');
});

test('requested scopes are narrowed to what the client holds; none held is invalid_scope', async () => {
  const feed = await client('narrow-feed', ['system/Patient.read', 'system/Observation.write']);
  const narrowed = await token(grant(await assertion(feed), 'system/Patient.* system/Encounter.read system/Observation.rs system/Observation.cud'));
  assert.equal(narrowed.status, 200);
  assert.equal(narrowed.body.scope, 'system/Observation.write system/Patient.read');
  const seen = await probe(String(narrowed.body.access_token));
  assert.deepEqual(seen.subject?.scopes, ['system/Observation.write', 'system/Patient.read']);

  const none = await token(grant(await assertion(feed), 'system/Encounter.read'));
  assert.equal(none.status, 400);
  assert.equal(none.body.error, 'invalid_scope');
  const nonsense = await token(grant(await assertion(feed), 'user/Patient.read'));
  assert.equal(nonsense.status, 400);
  assert.equal(nonsense.body.error, 'invalid_scope');
});

test('a replayed assertion (same jti) is refused', async () => {
  const c = await client('replay-lab', ['system/Patient.read']);
  const once = await assertion(c);
  assert.equal((await token(grant(once, 'system/Patient.read'))).status, 200);
  const again = await token(grant(once, 'system/Patient.read'));
  assert.equal(again.status, 401);
  assert.equal(again.body.error, 'invalid_client');
  assert.match(String(again.body.error_description), /already used/);
  assert.deepEqual(await refusals('replay-lab'), ['replayed']);
});

test('an assertion for another audience, or living longer than five minutes, is refused', async () => {
  const c = await client('aud-lab', ['system/Patient.read']);
  const elsewhere = await token(grant(await assertion(c, { aud: 'https://other.example.org/oauth2/token' }), 'system/Patient.read'));
  assert.equal(elsewhere.status, 401);
  assert.equal(elsewhere.body.error, 'invalid_client');
  assert.match(String(elsewhere.body.error_description), /aud/);
  const longLived = await token(grant(await assertion(c, { exp: Math.floor(Date.now() / 1000) + 3600 }), 'system/Patient.read'));
  assert.equal(longLived.status, 401);
  const expired = await token(grant(await assertion(c, { exp: Math.floor(Date.now() / 1000) - 120 }), 'system/Patient.read'));
  assert.equal(expired.status, 401);
  assert.deepEqual(await refusals('aud-lab'), ['wrong-audience', 'lifetime-too-long', 'expired-assertion']);
});

test('an expired credential is refused with "client credential expired" and audited', async () => {
  const c = await client('stale-lab', ['system/Patient.read']);
  await store.db.updateTable('system_client_keys').set({ expires_at: new Date(Date.now() - 60_000) }).where('kid', '=', c.kid).execute();
  const r = await token(grant(await assertion(c), 'system/Patient.read'));
  assert.equal(r.status, 401);
  assert.deepEqual(r.body, { error: 'invalid_client', error_description: 'client credential expired' });
  assert.deepEqual(await refusals('stale-lab'), ['credential-expired']);
});

test('rotation: the new key works at once and the old one until the overlap ends', async () => {
  const c = await client('rotating-ehr', ['system/Patient.read']);
  const next = await generateKeyPair('ES384', { extractable: true });
  const rotated = await rotateClientKey(store.db, { clientId: c.id, publicJwk: await exportJWK(next.publicKey), expiresAt: new Date(Date.now() + 86_400_000), overlapDays: 0 });
  assert.deepEqual(rotated.retiring, [c.kid]);
  const fresh: Client = { ...c, kid: rotated.kid, privateKey: next.privateKey };
  assert.equal((await token(grant(await assertion(fresh), 'system/Patient.read'))).status, 200);
  const old = await token(grant(await assertion(c), 'system/Patient.read'));
  assert.equal(old.status, 401);
  assert.equal(old.body.error_description, 'client credential expired');
});

test('a revoked client is refused, and its outstanding token stops working on the next request', async () => {
  const c = await client('gone-vendor', ['system/Patient.read']);
  const r = await token(grant(await assertion(c), 'system/Patient.read'));
  assert.equal(r.status, 200);
  const accessToken = String(r.body.access_token);
  assert.equal((await probe(accessToken)).subject?.id, 'gone-vendor');

  await revokeSystemClient(store.db, c.id);
  const seen = await probe(accessToken);
  assert.equal(seen.subject, null);
  assert.equal(seen.problem, 'client-revoked');
  const protectedRoute = await fetch(`${t.url}/auth/me`, { headers: { authorization: `Bearer ${accessToken}` } });
  assert.equal(protectedRoute.status, 401);
  assert.equal(((await protectedRoute.json()) as { code: string }).code, 'client-revoked');
  assert.match(protectedRoute.headers.get('www-authenticate') ?? '', /invalid_token/);

  const again = await token(grant(await assertion(c), 'system/Patient.read'));
  assert.equal(again.status, 401);
  assert.deepEqual(again.body, { error: 'invalid_client', error_description: 'client revoked' });
  assert.deepEqual(await refusals('gone-vendor'), ['client-revoked']);
});

test('malformed token requests get the OAuth error that names the problem', async () => {
  const c = await client('form-lab', ['system/Patient.read']);
  const a = await assertion(c);
  assert.deepEqual((await token({ ...grant(a, 'system/Patient.read'), grant_type: 'password' })).body.error, 'unsupported_grant_type');
  assert.equal((await token({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, scope: 'system/Patient.read' })).body.error, 'invalid_request');
  assert.equal((await token({ ...grant(a, 'system/Patient.read'), client_assertion_type: 'urn:other' })).body.error, 'invalid_request');
  assert.equal((await token({ ...grant('not.a.jwt', 'system/Patient.read') })).body.error, 'invalid_client');
  const unknown = await token(grant(await assertion(c, { iss: 'nobody-here' }), 'system/Patient.read'));
  assert.equal(unknown.status, 401);
  const twice = await fetch(tokenUrl(), { method: 'POST', headers: FORM, body: `${new URLSearchParams(grant(a, 'system/Patient.read')).toString()}&scope=system%2FObservation.read` });
  assert.equal(twice.status, 400);
  assert.equal(((await twice.json()) as { error: string }).error, 'invalid_request');
  const jsonBody = await fetch(tokenUrl(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(grant(a, 'system/Patient.read')) });
  assert.equal(jsonBody.status, 400);
});

test('the SMART configuration names the token endpoint and the signing algorithms', async () => {
  const res = await fetch(`${t.url}/.well-known/smart-configuration`);
  assert.equal(res.status, 200);
  const body = (await res.json()) as { token_endpoint: string; token_endpoint_auth_signing_alg_values_supported: string[] };
  assert.equal(body.token_endpoint, tokenUrl());
  assert.ok(body.token_endpoint_auth_signing_alg_values_supported.includes('ES384'));
});

test('no assertion or access token reached the log', async () => {
  const text = t.logLines().map((l) => JSON.stringify(l)).join('\n');
  assert.ok(text.includes('http.request'));
  for (const secret of secrets) assert.ok(!text.includes(secret), 'a token reached the log');
});

describeCli();

function describeCli(): void {
  let db: TestDatabase;
  const BIN = resolve('bin/vigil.mjs');
  function vigil(args: string[]) {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('VIGIL_') && k !== 'DATABASE_URL') env[k] = v;
    Object.assign(env, { LOG_LEVEL: 'silent', VIGIL_DATA_DIR: db.dataDir, ...(db.databaseUrl ? { DATABASE_URL: db.databaseUrl } : {}) });
    const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  test('vigil clients create|rotate|revoke|list: keys go to a 0600 file, never to the terminal', async () => {
    db = await createTestDatabase();
    try {
      const dir = tempDir('vigil-clients-');
      const keyFile = join(dir, 'lab.private.jwk');
      const created = vigil(['clients', 'create', '--id', 'cli-lab', '--name', 'CLI Lab', '--scope', 'system/Patient.read system/Observation.cud', '--out', keyFile]);
      assert.equal(created.code, 0, created.stderr);
      assert.ok(created.stdout.includes(keyFile), 'the private key file is named');
      assert.equal(statSync(keyFile).mode & 0o777, 0o600);
      const privateJwk = JSON.parse(readFileSync(keyFile, 'utf8')) as JWK;
      assert.equal(privateJwk.kty, 'EC');
      assert.equal(privateJwk.crv, 'P-384');
      assert.ok(typeof privateJwk.d === 'string' && !created.stdout.includes(privateJwk.d) && !created.stderr.includes(privateJwk.d), 'the private key is never printed');

      const exists = vigil(['clients', 'create', '--id', 'cli-lab-2', '--name', 'x', '--scope', 'system/Patient.read', '--out', keyFile]);
      assert.equal(exists.code, 2, 'an existing key file is never overwritten');
      const noKey = vigil(['clients', 'create', '--id', 'cli-lab-3', '--name', 'x', '--scope', 'system/Patient.read']);
      assert.equal(noKey.code, 2);
      assert.match(noKey.stderr, /--public-key JWK_FILE, or --out FILE/);

      const rotatedFile = join(dir, 'lab.rotated.jwk');
      const rotated = vigil(['clients', 'rotate', '--id', 'cli-lab', '--overlap-days', '3', '--out', rotatedFile]);
      assert.equal(rotated.code, 0, rotated.stderr);
      assert.match(rotated.stdout, /1 older key\(s\) stop working/);

      const revoked = vigil(['clients', 'revoke', '--id', 'cli-lab']);
      assert.equal(revoked.code, 0, revoked.stderr);
      const listed = vigil(['clients', 'list']);
      assert.equal(listed.code, 0, listed.stderr);
      const clients = JSON.parse(listed.stdout) as { id: string; status: string; scopes: string[]; keys: { state: string }[] }[];
      assert.equal(clients.length, 1);
      assert.equal(clients[0]!.status, 'revoked');
      assert.deepEqual(clients[0]!.scopes, ['system/Observation.write', 'system/Patient.read']);
      assert.deepEqual(clients[0]!.keys.map((k) => k.state), ['revoked', 'revoked']);
      assert.ok(!listed.stdout.includes(privateJwk.d!));

      const audit = await db.open();
      try {
        const actions = (await audit.db.selectFrom('audit.events').select(['action', 'actor_type']).where('resource_type', '=', 'SystemClient').orderBy('recorded_at').execute()).map((e) => `${e.action}/${e.actor_type}`);
        assert.deepEqual(actions, ['client.create/system', 'client.rotate/system', 'client.revoke/system']);
      } finally {
        await audit.close();
      }
    } finally {
      await db.dispose();
    }
  });
}
