import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { generateKeyPair, SignJWT, decodeProtectedHeader } from 'jose';
import { generate } from 'otplib';
import { v7 as uuidv7 } from 'uuid';
import { AccessTokens } from '../src/controls/access/auth/access-tokens.ts';
import { enrollTotp, hashPassword } from '../src/controls/access/auth/credentials.ts';
import { loadKeyring, type KeyEncryptionService } from '../src/controls/keys/keyring.ts';
import type { Store } from '../src/store/store.ts';
import { CANARY_PATIENT, CANARY_PATIENT_2 } from './support/canaries.ts';
import { startTestVigil, type TestVigil } from './support/in-process.ts';
import { testConfig } from './support/test-db.ts';

/**
 * Sign-in for people, through HTTP on an in-process Vigil: passwords, the second factor, lockout, access tokens and
 * their forgeries, refresh rotation, timeouts, logout, support's revocation and the cookie session with CSRF. The
 * canary identities are used as usernames, display names and inside passwords, so the canary guard proves none of
 * them reaches the output; the last test checks the captured log lines for every secret handed out here.
 */
let t: TestVigil;
let store: Store;
let keyring: KeyEncryptionService;
let organizationId: string;
let facilityId: string;
/** Every secret this file sees (passwords, tokens, TOTP secrets and codes): none may appear in a log line. */
const secrets: string[] = [];

const json = { 'content-type': 'application/json' };

before(async () => {
  // Small timeouts so that the idle and absolute limits can be crossed by moving a session's clock back a little.
  t = await startTestVigil({ demo: false, overrides: { VIGIL_SESSION_IDLE_MINUTES: '1', VIGIL_SESSION_ABSOLUTE_HOURS: '1', VIGIL_ACCESS_TOKEN_TTL_SECONDS: '300' } });
  store = t.vigil.store;
  keyring = loadKeyring(testConfig(t.db));
  organizationId = uuidv7();
  facilityId = uuidv7();
  await store.db.insertInto('organizations').values({ id: organizationId, name: 'Auth Test Health' }).execute();
  await store.db.insertInto('facilities').values({ id: facilityId, organization_id: organizationId, code: 'ATH-NORTH', name: 'North Campus' }).execute();
});
after(async () => {
  await t.close();
});

interface Person {
  id: string;
  username: string;
  password: string;
  totpSecret?: string;
}

async function person(username: string, roles: string[], options: { displayName?: string; totp?: boolean; password?: string } = {}): Promise<Person> {
  const id = uuidv7();
  const password = options.password ?? `${username}-correct horse battery staple`;
  secrets.push(password);
  await store.db
    .insertInto('people')
    .values({ id, username, display_name: options.displayName ?? `Test ${username}`, organization_id: organizationId, password_hash: await hashPassword(password) })
    .execute();
  for (const role of roles) await store.db.insertInto('person_roles').values({ person_id: id, role }).execute();
  await store.db.insertInto('person_facilities').values({ person_id: id, facility_id: facilityId }).execute();
  const created: Person = { id, username, password };
  if (options.totp) {
    created.totpSecret = await enrollTotp(store.db, keyring, id);
    secrets.push(created.totpSecret);
  }
  return created;
}

async function code(p: Person, stepOffset = 0): Promise<string> {
  const value = await generate({ secret: p.totpSecret!, epoch: Math.floor(Date.now() / 1000) + stepOffset * 30 });
  secrets.push(value);
  return value;
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${t.url}${path}`, { method: 'POST', headers: { ...json, ...headers }, body: JSON.stringify(body) });
}

async function login(body: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown>; res: Response }> {
  const res = await post('/auth/login', body);
  const parsed = (await res.json()) as Record<string, unknown>;
  for (const key of ['access_token', 'refresh_token', 'csrf_token']) if (typeof parsed[key] === 'string') secrets.push(parsed[key] as string);
  const cookie = res.headers.get('set-cookie');
  if (cookie) secrets.push(cookie.split(';')[0]!.split('=')[1]!);
  return { status: res.status, body: parsed, res };
}

async function tokensFor(p: Person, extra: Record<string, unknown> = {}): Promise<{ access: string; refresh: string }> {
  const r = await login({ username: p.username, password: p.password, ...extra });
  assert.equal(r.status, 200, `sign-in should succeed (got ${r.status} ${String(r.body.error)})`);
  return { access: r.body.access_token as string, refresh: r.body.refresh_token as string };
}

async function me(headers: Record<string, string>): Promise<{ status: number; body: Record<string, unknown>; res: Response }> {
  const res = await fetch(`${t.url}/auth/me`, { headers });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, res };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function auditActions(actorId: string | null, action: string): Promise<{ outcome: string; reason_code: string | null; actor_name: string | null; actor_id: string | null }[]> {
  let q = store.db.selectFrom('audit.events').select(['outcome', 'reason_code', 'actor_name', 'actor_id']).where('action', '=', action);
  q = actorId === null ? q.where('actor_id', 'is', null) : q.where('actor_id', '=', actorId);
  return q.orderBy('recorded_at').execute();
}

test('a person signs in with username and password and gets a short-lived bearer token and a refresh token', async () => {
  const p = await person('zephyrine', ['physician'], { displayName: `${CANARY_PATIENT.given} ${CANARY_PATIENT.family}`, password: `${CANARY_PATIENT.mrn} tulip lantern` });
  const r = await login({ username: 'Zephyrine', password: p.password });
  assert.equal(r.status, 200);
  assert.equal(r.body.token_type, 'Bearer');
  assert.equal(r.body.expires_in, 300);
  assert.match(String(r.body.refresh_token), /^vgr_/);
  assert.equal(decodeProtectedHeader(String(r.body.access_token)).alg, 'EdDSA');
  assert.equal(r.res.headers.get('cache-control'), 'no-store');

  const who = await me(bearer(String(r.body.access_token)));
  assert.equal(who.status, 200);
  assert.equal(who.body.id, p.id);
  assert.equal(who.body.username, 'zephyrine');
  assert.equal(who.body.displayName, `${CANARY_PATIENT.given} ${CANARY_PATIENT.family}`);
  assert.deepEqual(who.body.roles, ['physician']);
  assert.deepEqual(who.body.facilities, [{ id: facilityId, code: 'ATH-NORTH', name: 'North Campus' }]);
  const session = who.body.session as { kind: string; mfaAt: string | null };
  assert.equal(session.kind, 'api');
  assert.equal(session.mfaAt, null);
  assert.ok(Array.isArray(who.body.permissions) && (who.body.permissions as string[]).includes('self.read'));
  assert.ok(!(who.body.permissions as string[]).includes('audit.read'), 'a physician holds no audit permission');

  const events = await auditActions(p.id, 'auth.login');
  assert.equal(events.at(-1)?.outcome, 'success');
});

test('a wrong password and an unknown username get the same answer, and the audit never stores the typed username', async () => {
  const p = await person('oswilda', ['nurse'], { displayName: `${CANARY_PATIENT_2.given} ${CANARY_PATIENT_2.family}` });
  const wrong = await login({ username: p.username, password: 'not the right password at all' });
  const unknown = await login({ username: 'trenchmore-ybarrola', password: 'not the right password at all' });
  assert.equal(wrong.status, 401);
  assert.equal(unknown.status, 401);
  assert.deepEqual(wrong.body, unknown.body);
  assert.equal(wrong.body.error, 'invalid_credentials');

  const denied = await auditActions(p.id, 'auth.login');
  assert.equal(denied.at(-1)?.outcome, 'denied');
  assert.equal(denied.at(-1)?.reason_code, 'bad-password');
  assert.equal(denied.at(-1)?.actor_name, 'oswilda');
  const anonymous = await auditActions(null, 'auth.login');
  assert.ok(anonymous.length >= 1);
  for (const e of anonymous) {
    assert.equal(e.actor_name, null);
    assert.equal(e.reason_code, 'unknown-user');
  }
  const stored = await store.db.selectFrom('audit.events').select(['actor_name', 'details']).execute();
  assert.ok(!JSON.stringify(stored).includes('trenchmore-ybarrola'), 'an unknown username is not written anywhere');
  assert.ok(!JSON.stringify(stored).includes('not the right password'), 'a typed password is not written anywhere');
});

test('a disabled account answers exactly like a wrong password', async () => {
  const p = await person('disabled.user', ['nurse']);
  await store.db.updateTable('people').set({ status: 'disabled' }).where('id', '=', p.id).execute();
  const disabled = await login({ username: p.username, password: p.password });
  const unknown = await login({ username: 'nobody.here', password: p.password });
  assert.equal(disabled.status, 401);
  assert.deepEqual(disabled.body, unknown.body);
});

test('privileged roles need the second factor, asked for only once the password is right', async () => {
  const admin = await person('sec.admin', ['security-admin'], { totp: true });
  const wrongPassword = await login({ username: admin.username, password: 'wrong wrong wrong wrong' });
  assert.equal(wrongPassword.status, 401);
  assert.equal(wrongPassword.body.error, 'invalid_credentials', 'no hint that a second factor exists before the password is right');

  const noCode = await login({ username: admin.username, password: admin.password });
  assert.equal(noCode.status, 401);
  assert.equal(noCode.body.error, 'mfa_required');

  const ok = await login({ username: admin.username, password: admin.password, totp: await code(admin) });
  assert.equal(ok.status, 200);
  const who = await me(bearer(String(ok.body.access_token)));
  assert.equal(who.status, 200);
  assert.notEqual((who.body.session as { mfaAt: string | null }).mfaAt, null);
});

test('a wrong TOTP code is refused, and a right one is refused the second time (replay)', async () => {
  const admin = await person('privacy.lead', ['privacy-officer'], { totp: true });
  const valid = new Set([await code(admin, -1), await code(admin, 0), await code(admin, 1)]);
  let wrongCode = '000000';
  for (let n = 123456; valid.has(wrongCode); n += 1) wrongCode = String(n).padStart(6, '0');
  const wrong = await login({ username: admin.username, password: admin.password, totp: wrongCode });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.body.error, 'invalid_totp');

  const current = await code(admin);
  const first = await login({ username: admin.username, password: admin.password, totp: current });
  assert.equal(first.status, 200);
  const replay = await login({ username: admin.username, password: admin.password, totp: current });
  assert.equal(replay.status, 401);
  assert.equal(replay.body.error, 'invalid_totp');

  const failures = await auditActions(admin.id, 'auth.mfa-failure');
  assert.deepEqual(failures.map((f) => f.reason_code), ['wrong-code', 'replayed']);
});

test('a person without a privileged role may add a TOTP code, and the session records it', async () => {
  const nurse = await person('careful.nurse', ['nurse'], { totp: true });
  const r = await login({ username: nurse.username, password: nurse.password, totp: await code(nurse) });
  assert.equal(r.status, 200);
  const who = await me(bearer(String(r.body.access_token)));
  assert.notEqual((who.body.session as { mfaAt: string | null }).mfaAt, null);
});

test('lockout grows with repeated failures, answers like a wrong password, and a success resets it', async () => {
  const p = await person('lock.target', ['nurse']);
  const unknownAnswers: unknown[] = [];
  const knownAnswers: unknown[] = [];
  for (let i = 0; i < 5; i++) {
    const known = await login({ username: p.username, password: `guess number ${i} for the account` });
    const unknown = await login({ username: 'no.such.person', password: `guess number ${i} for the account` });
    assert.equal(known.status, 401);
    assert.equal(unknown.status, 401);
    knownAnswers.push(known.body);
    unknownAnswers.push(unknown.body);
  }
  assert.deepEqual(knownAnswers, unknownAnswers, 'probing cannot tell an existing username from a missing one');

  let row = await store.db.selectFrom('people').select(['failed_logins', 'locked_until']).where('id', '=', p.id).executeTakeFirstOrThrow();
  assert.equal(row.failed_logins, 5);
  const firstLock = row.locked_until!.getTime() - Date.now();
  assert.ok(firstLock > 50_000 && firstLock <= 60_000, 'five failures lock for one minute');

  const rightButLocked = await login({ username: p.username, password: p.password });
  assert.equal(rightButLocked.status, 401);
  assert.deepEqual(rightButLocked.body, unknownAnswers[0], 'a locked account looks like a wrong password, even with the right one');
  row = await store.db.selectFrom('people').select(['failed_logins', 'locked_until']).where('id', '=', p.id).executeTakeFirstOrThrow();
  assert.equal(row.failed_logins, 5, 'attempts while locked do not count (nobody can keep a colleague locked out for ever)');

  // The lock runs out; the next failure locks again for twice as long.
  await store.db.updateTable('people').set({ locked_until: new Date(Date.now() - 1000) }).where('id', '=', p.id).execute();
  await login({ username: p.username, password: 'one more wrong guess here' });
  row = await store.db.selectFrom('people').select(['failed_logins', 'locked_until']).where('id', '=', p.id).executeTakeFirstOrThrow();
  assert.equal(row.failed_logins, 6);
  const secondLock = row.locked_until!.getTime() - Date.now();
  assert.ok(secondLock > 110_000 && secondLock <= 120_000, 'the sixth failure locks for two minutes');

  await store.db.updateTable('people').set({ locked_until: new Date(Date.now() - 1000) }).where('id', '=', p.id).execute();
  await tokensFor(p);
  row = await store.db.selectFrom('people').select(['failed_logins', 'locked_until']).where('id', '=', p.id).executeTakeFirstOrThrow();
  assert.equal(row.failed_logins, 0);
  assert.equal(row.locked_until, null);

  const lockouts = await auditActions(p.id, 'auth.lockout');
  assert.equal(lockouts.length, 2);
  const lockedAttempt = (await auditActions(p.id, 'auth.login')).filter((e) => e.reason_code === 'locked');
  assert.equal(lockedAttempt.length, 1);
});

test('an expired access token is refused with 401 token-expired and WWW-Authenticate', async () => {
  const p = await person('expiry.check', ['nurse']);
  const { access } = await tokensFor(p);
  const session = await store.db.selectFrom('sessions').select('id').where('person_id', '=', p.id).executeTakeFirstOrThrow();
  // Signed by Vigil's real token key, for the real session, but issued 20 minutes ago: only the expiry is wrong.
  const old = await new AccessTokens(keyring).issueForPerson(store, { personId: p.id, sessionId: session.id, ttlSeconds: 600, now: new Date(Date.now() - 20 * 60_000) });
  secrets.push(old.token);
  assert.equal((await me(bearer(access))).status, 200);
  const r = await me(bearer(old.token));
  assert.equal(r.status, 401);
  assert.equal(r.body.code, 'token-expired');
  assert.match(r.res.headers.get('www-authenticate') ?? '', /^Bearer .*error="invalid_token"/);
  assert.equal(r.res.headers.get('content-type'), 'application/problem+json; charset=utf-8');
});

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

test('forged tokens are refused: another key, an unknown kid, alg none, HS256 with the public key, tampered claims', async () => {
  const victim = await person('forgery.victim', ['physician']);
  const attacker = await person('forgery.attacker', ['nurse']);
  const { access } = await tokensFor(attacker);
  const [headerPart, payloadPart] = access.split('.') as [string, string, string];
  const header = JSON.parse(Buffer.from(headerPart, 'base64url').toString()) as { kid: string };
  const claims = JSON.parse(Buffer.from(payloadPart, 'base64url').toString()) as Record<string, unknown>;

  const { privateKey } = await generateKeyPair('EdDSA');
  const otherKeySameKid = await new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: header.kid }).sign(privateKey);
  const otherKeyOwnKid = await new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: 'ed25519-ffffffffffffffff' }).sign(privateKey);
  const algNone = `${b64({ alg: 'none', typ: 'at+jwt', kid: header.kid })}.${payloadPart}.`;
  const publicKeys = await store.db.selectFrom('signing_keys').select('public_key_spki').where('key_id', '=', header.kid).executeTakeFirstOrThrow();
  const hs256 = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: header.kid }).sign(new Uint8Array(publicKeys.public_key_spki));
  const tampered = `${headerPart}.${b64({ ...claims, sub: victim.id })}.${access.split('.')[2]}`;
  const longLived = `${headerPart}.${b64({ ...claims, exp: Number(claims.exp) + 86_400 })}.${access.split('.')[2]}`;

  for (const [name, token] of Object.entries({ otherKeySameKid, otherKeyOwnKid, algNone, hs256, tampered, longLived })) {
    const r = await me(bearer(token));
    assert.equal(r.status, 401, `${name} must be refused`);
    assert.equal(r.body.code, 'token-invalid', `${name} is reported as invalid`);
    assert.match(r.res.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
  }
  assert.equal((await me(bearer(access))).status, 200, 'the genuine token still works');
  const garbage = await me({ authorization: 'Bearer not-a-jwt' });
  assert.equal(garbage.status, 401);
  const basic = await me({ authorization: 'Basic Zm9vOmJhcg==' });
  assert.equal(basic.status, 401);
});

test('refresh rotates the token; reusing a spent refresh token revokes the whole session', async () => {
  const p = await person('refresh.user', ['nurse']);
  const first = await tokensFor(p);
  const rotated = await post('/auth/refresh', { refresh_token: first.refresh });
  assert.equal(rotated.status, 200);
  const second = (await rotated.json()) as { access_token: string; refresh_token: string; token_type: string };
  secrets.push(second.access_token, second.refresh_token);
  assert.equal(second.token_type, 'Bearer');
  assert.notEqual(second.refresh_token, first.refresh);
  assert.equal((await me(bearer(second.access_token))).status, 200);

  const reuse = await post('/auth/refresh', { refresh_token: first.refresh });
  assert.equal(reuse.status, 401);
  assert.deepEqual(await reuse.json(), { error: 'invalid_grant', error_description: 'This refresh token is not valid (already used, expired, or its session ended): sign in again.' });

  // The thief and the owner are both out: the newest refresh token and the access token stop working too.
  const successor = await post('/auth/refresh', { refresh_token: second.refresh_token });
  assert.equal(successor.status, 401);
  const after = await me(bearer(second.access_token));
  assert.equal(after.status, 401);
  assert.equal(after.body.code, 'session-ended');

  const theft = await auditActions(p.id, 'auth.refresh-reuse');
  assert.equal(theft.length, 1);
  assert.equal(theft[0]!.reason_code, 'refresh-token-reuse');
  const session = await store.db.selectFrom('sessions').select(['revoked_at', 'revoked_reason']).where('person_id', '=', p.id).executeTakeFirstOrThrow();
  assert.equal(session.revoked_reason, 'refresh-reuse');

  const junk = await post('/auth/refresh', { refresh_token: 'vgr_thisisnotarealtokenatallbutlooksalmostlikeone' });
  assert.equal(junk.status, 401);
  assert.equal(((await junk.json()) as { error: string }).error, 'invalid_grant');
});

test('support revokes a person’s sessions, and the next request with their token is refused', async () => {
  const support = await person('support.desk', ['support-staff']);
  const nurse = await person('revoked.nurse', ['nurse']);
  const supportTokens = await tokensFor(support);
  const nurseTokens = await tokensFor(nurse);
  assert.equal((await me(bearer(nurseTokens.access))).status, 200);

  const list = await fetch(`${t.url}/api/accounts/${nurse.id}/sessions`, { headers: bearer(supportTokens.access) });
  assert.equal(list.status, 200);
  const listed = (await list.json()) as { sessions: { status: string; kind: string }[]; locked: boolean; mfaEnrolled: boolean };
  assert.equal(listed.sessions.length, 1);
  assert.equal(listed.sessions[0]!.status, 'active');
  assert.ok(!JSON.stringify(listed).includes(nurseTokens.refresh) && !JSON.stringify(listed).includes('hash'), 'no token or hash is shown to support');

  const revoke = await fetch(`${t.url}/api/accounts/${nurse.id}/sessions/revoke`, { method: 'POST', headers: bearer(supportTokens.access) });
  assert.equal(revoke.status, 200);
  assert.deepEqual(await revoke.json(), { personId: nurse.id, revoked: 1 });

  const refused = await me(bearer(nurseTokens.access));
  assert.equal(refused.status, 401);
  assert.equal(refused.body.code, 'session-ended');
  assert.equal((await post('/auth/refresh', { refresh_token: nurseTokens.refresh })).status, 401);
  const audited = await store.db.selectFrom('audit.events').select(['action', 'actor_id', 'resource_ids']).where('action', 'in', ['account.read', 'account.revoke-sessions']).orderBy('recorded_at').orderBy('id').execute();
  assert.deepEqual(audited.map((e) => [e.action, e.actor_id, e.resource_ids]), [['account.read', support.id, [nurse.id]], ['account.revoke-sessions', support.id, [nurse.id]]]);

  const stranger = await fetch(`${t.url}/api/accounts/${nurse.id}/sessions/revoke`, { method: 'POST', headers: bearer(nurseTokens.access) });
  assert.equal(stranger.status, 401);
  const noRole = await fetch(`${t.url}/api/accounts/${support.id}/sessions`, { headers: bearer((await tokensFor(nurse)).access) });
  assert.equal(noRole.status, 403, 'a nurse may not look at accounts');
});

test('support unlocks a locked account and resets a second factor', async () => {
  // A clinician's account: support may not do this to privileged accounts (test/access/account-takeover.test.ts).
  const support = await person('support.two', ['support-staff']);
  const locked = await person('locked.out', ['nurse'], { totp: true });
  for (let i = 0; i < 5; i++) await login({ username: locked.username, password: `wrong guess ${i} again` });
  assert.equal((await login({ username: locked.username, password: locked.password, totp: await code(locked) })).status, 401);

  const { access } = await tokensFor(support);
  const unlock = await fetch(`${t.url}/api/accounts/${locked.id}/unlock`, { method: 'POST', headers: bearer(access) });
  assert.equal(unlock.status, 200);
  assert.equal((await login({ username: locked.username, password: locked.password, totp: await code(locked, 1) })).status, 200);

  const reset = await fetch(`${t.url}/api/accounts/${locked.id}/reset-mfa`, { method: 'POST', headers: bearer(access) });
  assert.equal(reset.status, 200);
  const state = (await (await fetch(`${t.url}/api/accounts/${locked.id}/sessions`, { headers: bearer(access) })).json()) as { mfaEnrolled: boolean };
  assert.equal(state.mfaEnrolled, false);
  const after = await login({ username: locked.username, password: locked.password });
  assert.equal(after.status, 200, 'the second factor is gone: the password alone signs a clinician in');
  const missing = await fetch(`${t.url}/api/accounts/${uuidv7()}/unlock`, { method: 'POST', headers: bearer(access) });
  assert.equal(missing.status, 404);
  const actions = (await store.db.selectFrom('audit.events').select('action').where('actor_id', '=', support.id).execute()).map((e) => e.action);
  assert.ok(actions.includes('account.unlock') && actions.includes('account.reset-mfa'));
});

test('a session left idle past VIGIL_SESSION_IDLE_MINUTES ends; a recently used one does not', async () => {
  const p = await person('idle.user', ['nurse']);
  const { access, refresh } = await tokensFor(p);
  await store.db.updateTable('sessions').set({ last_seen_at: new Date(Date.now() - 40_000) }).where('person_id', '=', p.id).execute();
  assert.equal((await me(bearer(access))).status, 200, '40 s idle is inside a one-minute limit');
  await store.db.updateTable('sessions').set({ last_seen_at: new Date(Date.now() - 2 * 60_000) }).where('person_id', '=', p.id).execute();
  const r = await me(bearer(access));
  assert.equal(r.status, 401);
  assert.equal(r.body.code, 'session-ended');
  assert.equal((await post('/auth/refresh', { refresh_token: refresh })).status, 401, 'an idle session cannot be refreshed back to life');
});

test('a session past VIGIL_SESSION_ABSOLUTE_HOURS ends even while it is in use', async () => {
  const p = await person('absolute.user', ['nurse']);
  const { access } = await tokensFor(p);
  await store.db.updateTable('sessions').set({ created_at: new Date(Date.now() - 61 * 60_000), last_seen_at: new Date() }).where('person_id', '=', p.id).execute();
  const r = await me(bearer(access));
  assert.equal(r.status, 401);
  assert.equal(r.body.code, 'session-ended');
});

test('logout revokes the session: the access token and the refresh token stop working', async () => {
  const p = await person('logout.user', ['nurse']);
  const { access, refresh } = await tokensFor(p);
  const out = await fetch(`${t.url}/auth/logout`, { method: 'POST', headers: bearer(access) });
  assert.equal(out.status, 204);
  assert.match(out.headers.get('set-cookie') ?? '', /vigil_session=;.*Max-Age=0/);
  assert.equal((await me(bearer(access))).status, 401);
  assert.equal((await post('/auth/refresh', { refresh_token: refresh })).status, 401);
  const events = await auditActions(p.id, 'auth.logout');
  assert.equal(events.length, 1);

  // With only the refresh token left (the access token expired), sign-out still ends the session.
  const again = await tokensFor(p);
  const byRefresh = await post('/auth/logout', { refresh_token: again.refresh });
  assert.equal(byRefresh.status, 204);
  assert.equal((await me(bearer(again.access))).status, 401);
});

test('cookie sessions: httpOnly Secure SameSite cookie, CSRF token required on unsafe requests', async () => {
  const support = await person('web.support', ['support-staff']);
  const target = await person('web.target', ['nurse']);
  const r = await login({ username: support.username, password: support.password, mode: 'cookie' });
  assert.equal(r.status, 200);
  assert.equal(r.body.access_token, undefined, 'no bearer token for the browser: scripts never hold a credential');
  const csrf = String(r.body.csrf_token);
  assert.ok(Number(r.body.expires_in) > 0);
  const setCookie = r.res.headers.get('set-cookie') ?? '';
  assert.match(setCookie, /^vigil_session=vgs_[A-Za-z0-9_-]{43}; /);
  for (const attribute of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/']) assert.ok(setCookie.includes(attribute), `cookie carries ${attribute}`);
  const cookie = { cookie: setCookie.split(';')[0]! };

  const who = await me(cookie);
  assert.equal(who.status, 200, 'a safe request needs no CSRF token');
  assert.equal((who.body.session as { kind: string }).kind, 'web');

  const unlock = (headers: Record<string, string>) => fetch(`${t.url}/api/accounts/${target.id}/unlock`, { method: 'POST', headers });
  const without = await unlock(cookie);
  assert.equal(without.status, 403);
  assert.equal(((await without.json()) as { code: string }).code, 'csrf-failed');
  const wrong = await unlock({ ...cookie, 'x-csrf-token': 'vgc_' + 'A'.repeat(43) });
  assert.equal(wrong.status, 403);
  assert.equal(((await wrong.json()) as { code: string }).code, 'csrf-failed');
  const right = await unlock({ ...cookie, 'x-csrf-token': csrf });
  assert.equal(right.status, 200);

  const logoutWithout = await fetch(`${t.url}/auth/logout`, { method: 'POST', headers: cookie });
  assert.equal(logoutWithout.status, 403);
  assert.equal(((await logoutWithout.json()) as { error: string }).error, 'csrf_failed');
  const logout = await fetch(`${t.url}/auth/logout`, { method: 'POST', headers: { ...cookie, 'x-csrf-token': csrf } });
  assert.equal(logout.status, 204);
  assert.match(logout.headers.get('set-cookie') ?? '', /Max-Age=0/);
  assert.equal((await me(cookie)).status, 401);

  const stored = await store.db.selectFrom('sessions').select(['cookie_token_hash', 'csrf_token_hash']).where('person_id', '=', support.id).executeTakeFirstOrThrow();
  assert.ok(stored.cookie_token_hash && !stored.cookie_token_hash.includes(cookie.cookie.split('=')[1]!), 'only a hash of the cookie is stored');
  assert.notEqual(stored.csrf_token_hash, csrf);
});

test('malformed sign-in requests get invalid_request without quoting what was sent', async () => {
  const missing = await post('/auth/login', { username: CANARY_PATIENT.family });
  assert.equal(missing.status, 400);
  const body = (await missing.json()) as { error: string; error_description: string };
  assert.equal(body.error, 'invalid_request');
  assert.ok(!JSON.stringify(body).includes(CANARY_PATIENT.family));
  const badMode = await post('/auth/login', { username: 'a.b', password: 'x'.repeat(12), mode: 'session' });
  assert.equal(badMode.status, 400);
});

test('no password, token, TOTP secret, code or username reached the log', async () => {
  const text = t.logLines().map((l) => JSON.stringify(l)).join('\n');
  assert.ok(text.includes('http.request'), 'the log was captured');
  for (const secret of secrets) assert.ok(!text.includes(secret), 'a secret reached the log');
  for (const name of ['zephyrine', 'oswilda', 'sec.admin', 'lock.target']) assert.ok(!text.toLowerCase().includes(name), 'a username reached the log');
});
