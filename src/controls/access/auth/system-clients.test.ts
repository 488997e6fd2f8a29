import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exportJWK, generateKeyPair } from 'jose';
import { grantScopes, normaliseScope, parseScopes, preparePublicJwk } from './system-clients.ts';

test('SMART v2 suffixes become the v1 form; anything else is not a system scope', () => {
  assert.equal(normaliseScope('system/Patient.rs'), 'system/Patient.read');
  assert.equal(normaliseScope('system/Observation.cud'), 'system/Observation.write');
  assert.equal(normaliseScope('system/*.cruds'), 'system/*.*');
  assert.equal(normaliseScope('system/Patient.read'), 'system/Patient.read');
  for (const bad of ['user/Patient.read', 'patient/*.read', 'system/Patient.c', 'system/patient.read', 'system/Patient', 'openid', 'system/Patient.read extra']) {
    assert.equal(normaliseScope(bad), null, bad);
  }
  assert.deepEqual(parseScopes('system/Patient.rs  system/Patient.read system/Nope.x'), { scopes: ['system/Patient.read'], invalid: 1 });
});

test('a grant is the requested scopes cut down to the registered ones', () => {
  const registered = ['system/Patient.read', 'system/Observation.*'];
  assert.deepEqual(grantScopes(['system/Patient.read'], registered), ['system/Patient.read']);
  assert.deepEqual(grantScopes(['system/Patient.*'], registered), ['system/Patient.read'], 'asking for write too gets read only');
  assert.deepEqual(grantScopes(['system/*.read'], registered), ['system/Observation.read', 'system/Patient.read'], 'a wildcard request gets the specific registered scopes');
  assert.deepEqual(grantScopes(['system/Observation.*'], registered), ['system/Observation.*']);
  assert.deepEqual(grantScopes(['system/Encounter.read'], registered), []);
  assert.deepEqual(grantScopes(['system/Encounter.read'], ['system/*.read']), ['system/Encounter.read']);
  assert.deepEqual(grantScopes(['system/*.*'], ['system/*.read', 'system/Patient.write']), ['system/*.read', 'system/Patient.write']);
});

test('only public keys of the SMART algorithms are registered, with the algorithm fixed by the key type', async () => {
  const ec = await generateKeyPair('ES384', { extractable: true });
  const prepared = await preparePublicJwk(await exportJWK(ec.publicKey));
  assert.equal(prepared.alg, 'ES384');
  assert.match(prepared.kid, /^[A-Za-z0-9_-]{43}$/, 'a key without kid is named by its thumbprint');
  await assert.rejects(preparePublicJwk(await exportJWK(ec.privateKey)), /private key/);
  const p256 = await generateKeyPair('ES256', { extractable: true });
  await assert.rejects(preparePublicJwk(await exportJWK(p256.publicKey)), /P-384/);
  await assert.rejects(preparePublicJwk({ ...(await exportJWK(ec.publicKey)), alg: 'HS256' }), /signs with ES384/);
  await assert.rejects(preparePublicJwk('not a key'), /JWK/);
});
