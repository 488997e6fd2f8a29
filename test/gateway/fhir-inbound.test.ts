import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { startTestVigil, type TestVigil } from '../support/in-process.ts';
import { systemClientToken } from '../support/client-token.ts';

/**
 * FHIR R4 delivered by a sending system: archived byte for byte before the 202, normalized by the workers, repeats
 * recognised, broken payloads refused with an OperationOutcome and kept, strangers refused.
 */
const T = { timeout: 120_000 };
const SYNTHEA = 'test/fixtures/fhir/synthea_r4_Liz_Conn_27c911c6-f045-4ffa-af5d-6eba57ac94b2.json';
let t: TestVigil;
let token: string;

async function post(path: string, body: string | Buffer, bearer: string, type = 'application/fhir+json') {
  const response = await fetch(`${t.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${bearer}`, 'content-type': type }, body: typeof body === 'string' ? body : new Uint8Array(body) });
  return { status: response.status, id: response.headers.get('x-vigil-message-id'), body: (await response.json()) as { resourceType: string; issue: { severity: string; code: string; expression?: string[]; diagnostics?: string }[] } };
}

async function drained(): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const open = await sql<{ n: string }>`SELECT count(*) AS n FROM gateway_messages WHERE state IN ('received', 'retrying')`.execute(t.vigil.store.db);
    if (open.rows[0]!.n === '0') return;
    if (Date.now() > deadline) throw new Error('the inbox did not drain');
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  t = await startTestVigil();
  token = await systemClientToken(t.vigil.store, t.url, 'north-ehr-fhir', ['system/Bundle.write']);
  await t.vigil.store.tx((trx) => t.vigil.gateway.registry.add(trx, { name: 'north-ehr', kind: 'fhir', clientId: 'north-ehr-fhir', profile: { timeZone: 'America/New_York' } }, { actorName: 'test' }));
});

after(async () => t?.close());

describe('FHIR R4 into the gateway', () => {
  it('accepts a Synthea patient bundle, keeps the exact bytes, and normalizes the patient and their facts', T, async () => {
    const raw = readFileSync(SYNTHEA);
    const answer = await post('/fhir/R4', raw, token);
    assert.equal(answer.status, 202);
    assert.equal(answer.body.resourceType, 'OperationOutcome');
    const stored = await t.vigil.store.db.selectFrom('gateway_messages').select(['id', 'size_bytes', 'transport', 'message_type']).where('id', '=', answer.id!).executeTakeFirstOrThrow();
    assert.equal(stored.size_bytes, raw.length);
    assert.deepEqual([stored.transport, stored.message_type], ['fhir', 'Bundle^transaction']);
    await drained();
    const state = await t.vigil.store.db.selectFrom('gateway_messages').select(['state', 'reason_code']).where('id', '=', answer.id!).executeTakeFirstOrThrow();
    assert.deepEqual(state, { state: 'processed', reason_code: null });
    const bundle = JSON.parse(raw.toString('utf8')) as { entry: { resource: { resourceType: string } }[] };
    const expectedConditions = bundle.entry.filter((e) => e.resource.resourceType === 'Condition').length;
    const kinds = await sql<{ kind: string; n: string }>`SELECT kind, count(*) AS n FROM clinical_facts GROUP BY kind`.execute(t.vigil.store.db);
    const count = (kind: string) => Number(kinds.rows.find((r) => r.kind === kind)?.n ?? 0);
    assert.equal(count('condition'), expectedConditions);
    assert.ok(count('observation') > 0);
    const patients = await sql<{ n: string }>`SELECT count(*) AS n FROM patients WHERE family_name IS NOT NULL`.execute(t.vigil.store.db);
    assert.equal(patients.rows[0]!.n, '1');
    const encounters = await sql<{ n: string }>`SELECT count(*) AS n FROM encounters WHERE source_id IS NOT NULL`.execute(t.vigil.store.db);
    assert.equal(Number(encounters.rows[0]!.n), bundle.entry.filter((e) => e.resource.resourceType === 'Encounter').length);
  });

  it('recognises the same bundle posted again and stores nothing new', T, async () => {
    const again = await post('/fhir/R4', readFileSync(SYNTHEA), token);
    assert.equal(again.status, 200);
    const rows = await sql<{ n: string }>`SELECT count(*) AS n FROM gateway_messages`.execute(t.vigil.store.db);
    assert.equal(rows.rows[0]!.n, '1');
  });

  it('refuses a structurally broken bundle with an OperationOutcome naming positions, and keeps it in quarantine', T, async () => {
    const answer = await post('/fhir/R4', readFileSync('test/fixtures/fhir/invalid_r4_bundle-duplicate-id.json'), token);
    assert.equal(answer.status, 400);
    assert.ok(answer.body.issue.length > 0);
    assert.ok(answer.body.issue.every((i) => i.severity === 'error' && (i.expression?.[0] ?? '').startsWith('Bundle')));
    const row = await t.vigil.store.db.selectFrom('gateway_messages').select(['state', 'reason_code']).where('id', '=', answer.id!).executeTakeFirstOrThrow();
    assert.deepEqual(row, { state: 'quarantined', reason_code: 'fhir-payload-invalid' });
  });

  it('takes NDJSON one resource per line, and counts a broken line without losing the others', T, async () => {
    const lines = [
      JSON.stringify({ resourceType: 'Patient', id: 'nd-1', identifier: [{ system: 'urn:oid:1.2.3', value: 'ND-1' }], name: [{ family: 'Lineholder', given: ['Nora'] }], birthDate: '1971-04-05' }),
      '{"resourceType": "Observation", broken',
      JSON.stringify({ resourceType: 'Observation', id: 'nd-obs-1', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] }, subject: { reference: 'Patient/nd-1' }, effectiveDateTime: '2024-03-01T10:00:00Z', valueQuantity: { value: 72, unit: '/min' } }),
    ];
    const answer = await post('/fhir/R4', lines.join('\n'), token, 'application/fhir+ndjson');
    assert.equal(answer.status, 202);
    assert.match(answer.body.issue[0]!.diagnostics!, /2 accepted, 0 already received, 1 refused/);
    await drained();
    const obs = await sql<{ status: string }>`SELECT status FROM clinical_facts WHERE source_key LIKE '%nd-obs-1%'`.execute(t.vigil.store.db);
    assert.deepEqual(obs.rows, [{ status: 'final' }]);
  });

  it('refuses a client that is not a registered source, and any person', T, async () => {
    const stranger = await systemClientToken(t.vigil.store, t.url, 'south-ehr-fhir', ['system/Bundle.write']);
    const refused = await post('/fhir/R4', readFileSync('test/fixtures/fhir/hl7_r4_patient-example.json'), stranger);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.resourceType, 'OperationOutcome');
    const noScope = await systemClientToken(t.vigil.store, t.url, 'reader-fhir', ['system/Patient.read']);
    assert.equal((await post('/fhir/R4/Patient', readFileSync('test/fixtures/fhir/hl7_r4_patient-example.json'), noScope)).status, 403);
    assert.equal((await post('/fhir/R4', '{}', 'not-a-token')).status, 401);
  });
});
