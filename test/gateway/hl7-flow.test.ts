import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { unmerge } from '../../src/core/identity/merge.ts';
import { RawMllpClient } from '../support/raw-mllp-client.ts';
import { CANARY_PATIENT } from '../support/canaries.ts';
import { adt, LAB, merge, NORTH, oru, PERSON_1, PERSON_2 } from '../support/hl7-builder.ts';
import { startTestVigil, type TestVigil } from '../support/in-process.ts';
import { sendForAck } from '../support/mllp-send.ts';
import { waitFor } from '../support/wait.ts';
import { OPERATOR, OPERATOR_FACTS } from '../support/operator-subject.ts';

/**
 * HL7 v2 from a sender's socket to normalized facts: durable before acknowledged, duplicates and replays change
 * nothing, results before their patient wait and are released, source merges re-point facts and can be undone,
 * broken input is refused with a reason and kept for the operator.
 */
const T = { timeout: 60_000 };
let t: TestVigil;
let client: RawMllpClient;

async function send(message: string): Promise<{ code: string; err?: string }> {
  const ack = await sendForAck(client, message);
  const err = ack.get('ERR-3.1') ?? ack.get('ERR-1.4.1');
  return { code: ack.get('MSA-1')!, ...(err ? { err } : {}) };
}

const db = () => t.vigil.store.db;

async function messageState(control: string): Promise<string | undefined> {
  const row = await db().selectFrom('gateway_messages').select('state').where('control_id', '=', control).where('corrects', 'is', null).executeTakeFirst();
  return row?.state;
}

async function settled(control: string, state: string): Promise<void> {
  await waitFor(`${control} to be ${state}`, async () => (await messageState(control)) === state);
}

async function patientOf(mrn: string): Promise<string | undefined> {
  const row = await db().selectFrom('patient_identifiers').select('patient_id').where('value', '=', mrn).executeTakeFirst();
  return row?.patient_id;
}

before(async () => {
  t = await startTestVigil();
  const actor = { actorName: 'test' };
  await t.vigil.store.tx(async (trx) => {
    // The ADT feed promises a terminator after every segment (the profile says so); the lab feed does not.
    await t.vigil.gateway.registry.add(trx, { name: 'north-adt', kind: 'hl7v2', msh3: NORTH.app, msh4: NORTH.facility, profile: { requireSegmentTerminator: true } }, actor);
    await t.vigil.gateway.registry.add(trx, { name: 'north-lab', kind: 'hl7v2', msh3: LAB.app, msh4: LAB.facility }, actor);
  });
  client = await RawMllpClient.connect(t.vigil.mllpPort()!);
});

after(async () => {
  client?.destroy();
  await t?.close();
});

describe('HL7 v2 over MLLP into the normalized model', () => {
  it('acknowledges an admission only once it is stored, then registers the patient and the encounter', T, async () => {
    const ack = await send(adt(NORTH, 'A01', PERSON_1, 'C-A01-1', '20240301080000'));
    assert.equal(ack.code, 'AA');
    const stored = await db().selectFrom('gateway_messages').select(['state', 'raw', 'size_bytes']).where('control_id', '=', 'C-A01-1').executeTakeFirstOrThrow();
    assert.ok(!stored.raw.toString('latin1').includes(CANARY_PATIENT.family), 'the raw copy is stored encrypted');
    await settled('C-A01-1', 'processed');
    const patientId = await patientOf(PERSON_1.mrn);
    assert.ok(patientId);
    const patient = await db().selectFrom('patients').selectAll().where('id', '=', patientId!).executeTakeFirstOrThrow();
    assert.equal(patient.family_name, PERSON_1.family);
    assert.equal(patient.birth_date, CANARY_PATIENT.birthDate);
    const encounters = await db().selectFrom('encounters').select(['status', 'source_key']).where('patient_id', '=', patientId!).execute();
    assert.deepEqual(encounters, [{ status: 'active', source_key: 'V100' }]);
  });

  it('answers a repeated delivery AA without storing or applying it twice', T, async () => {
    const ack = await send(adt(NORTH, 'A01', PERSON_1, 'C-A01-1', '20240301080000'));
    assert.equal(ack.code, 'AA');
    const rows = await db().selectFrom('gateway_messages').select('id').where('control_id', '=', 'C-A01-1').execute();
    assert.equal(rows.length, 1);
    const steps = await db().selectFrom('gateway_message_events').select('step').where('message_id', '=', rows[0]!.id).execute();
    assert.ok(steps.some((s) => s.step === 'delivered-again'));
    const records = await db().selectFrom('patient_records').select('id').where('record_key', 'like', `%|${PERSON_1.mrn}`).execute();
    assert.equal(records.length, 1);
  });

  it('parks a result for a patient not yet registered and releases it when the admission arrives', T, async () => {
    const results = [
      { code: '2093-3', name: 'Cholesterol', value: '182', unit: 'mg/dL', status: 'P' as const },
      { code: '2571-8', name: 'Triglyceride', value: '140', unit: 'mg/dL', status: 'P' as const },
    ];
    assert.equal((await send(oru(LAB, PERSON_2, 'C-ORU-1', '20240302090000', 'ORD-77', results, 'P'))).code, 'AA');
    await settled('C-ORU-1', 'parked');
    assert.equal(await patientOf(PERSON_2.mrn), undefined);
    assert.equal((await send(adt(NORTH, 'A04', PERSON_2, 'C-A04-2', '20240302085000', 'V200'))).code, 'AA');
    await settled('C-ORU-1', 'processed');
    const patientId = await patientOf(PERSON_2.mrn);
    const facts = await db().selectFrom('clinical_facts').select(['kind', 'status', 'code']).where('patient_id', '=', patientId!).orderBy('kind').orderBy('code').execute();
    assert.deepEqual(facts, [
      { kind: 'diagnostic-report', status: 'preliminary', code: '24331-1' },
      { kind: 'observation', status: 'preliminary', code: '2093-3' },
      { kind: 'observation', status: 'preliminary', code: '2571-8' },
    ]);
  });

  it('keeps every version of a corrected result and shows the newest by source time, whatever the arrival order', T, async () => {
    const line = (value: string, status: 'F' | 'C') => [{ code: '2093-3', name: 'Cholesterol', value, unit: 'mg/dL', status }];
    // The correction arrives first, the final result it corrects afterwards.
    await send(oru(LAB, PERSON_2, 'C-ORU-3', '20240302120000', 'ORD-77', line('190', 'C'), 'C'));
    await send(oru(LAB, PERSON_2, 'C-ORU-2', '20240302100000', 'ORD-77', line('185', 'F'), 'F'));
    await settled('C-ORU-3', 'processed');
    await settled('C-ORU-2', 'processed');
    const fact = await db().selectFrom('clinical_facts').select(['id', 'status', 'body']).where('kind', '=', 'observation').where('code', '=', '2093-3').executeTakeFirstOrThrow();
    assert.equal(fact.status, 'corrected');
    assert.equal((fact.body as { value: { quantity: { value: number } } }).value.quantity.value, 190);
    const versions = await db().selectFrom('clinical_fact_versions').select(['status', 'provenance']).where('fact_id', '=', fact.id).orderBy('source_time').execute();
    assert.deepEqual(versions.map((v) => v.status), ['preliminary', 'final', 'corrected']);
    for (const v of versions) assert.equal((v.provenance as { derivation: string }).derivation, 'asserted');
  });

  it('applies a late source merge by moving the retired record and its facts, and an unmerge restores them', T, async () => {
    const duplicate = { ...PERSON_2, mrn: 'MRN-DUP-4411' };
    await send(adt(NORTH, 'A04', duplicate, 'C-A04-DUP', '20240303080000', 'V300'));
    await settled('C-A04-DUP', 'processed');
    const survivorPatient = (await patientOf(PERSON_2.mrn))!;
    const retiredPatient = (await patientOf(duplicate.mrn))!;
    assert.notEqual(survivorPatient, retiredPatient);
    assert.equal((await send(merge(NORTH, PERSON_2, duplicate.mrn, 'C-A40-1', '20240304080000'))).code, 'AA');
    await settled('C-A40-1', 'processed');
    assert.equal(await patientOf(duplicate.mrn), survivorPatient);
    const moved = await db().selectFrom('encounters').select('patient_id').where('source_key', '=', 'V300').executeTakeFirstOrThrow();
    assert.equal(moved.patient_id, survivorPatient);
    const event = await sql<{ merge: string }>`SELECT evidence->>'merge' AS merge FROM identity_link_events WHERE decision = 'source-merge' ORDER BY id DESC LIMIT 1`.execute(db());
    await t.vigil.store.tx((trx) => unmerge(trx, { mergeId: event.rows[0]!.merge, actor: 'test' }));
    assert.equal(await patientOf(duplicate.mrn), retiredPatient);
    const back = await db().selectFrom('encounters').select('patient_id').where('source_key', '=', 'V300').executeTakeFirstOrThrow();
    assert.equal(back.patient_id, retiredPatient);
  });

  it('refuses a message from an unregistered sender with AR, keeps it in quarantine, and works it once registered', T, async () => {
    const stranger = { app: 'SOUTHADT', facility: 'SOUTH' };
    const ack = await send(adt(stranger, 'A28', PERSON_1, 'C-STRANGER-1', '20240305080000'));
    assert.equal(ack.code, 'AR');
    const row = await db().selectFrom('gateway_messages').select(['id', 'state', 'reason_code', 'source_id']).where('control_id', '=', 'C-STRANGER-1').executeTakeFirstOrThrow();
    assert.deepEqual({ state: row.state, reason: row.reason_code, source: row.source_id }, { state: 'quarantined', reason: 'unregistered-source', source: null });
    await t.vigil.store.tx((trx) => t.vigil.gateway.registry.add(trx, { name: 'south-adt', kind: 'hl7v2', msh3: stranger.app, msh4: stranger.facility }, { actorName: 'test' }));
    const { OperatorConsole } = await import('../../src/gateway/operator-console.ts');
    const operator = new OperatorConsole(t.vigil.store, t.vigil.gateway.registry, t.vigil.gateway.archive);
    const result = await operator.reprocess(OPERATOR, OPERATOR_FACTS, [row.id]);
    assert.deepEqual(result.queued, [row.id]);
    await settled('C-STRANGER-1', 'processed');
  });

  it('accepts a message without a final terminator from a source that never promised one, and notes it', T, async () => {
    const results = [{ code: '2093-3', name: 'Cholesterol', value: '180', unit: 'mg/dL', status: 'F' as const }];
    const ack = await send(oru(LAB, PERSON_2, 'C-NOCR-1', '20240305100000', 'ORD-90', results, 'F').slice(0, -1));
    assert.equal(ack.code, 'AA');
    await settled('C-NOCR-1', 'processed');
  });

  it('rejects a message cut inside an escape sequence with AR, even from a lenient source', T, async () => {
    const cut = oru(LAB, PERSON_2, 'C-ESC-1', '20240305110000', 'ORD-91', [{ code: '2093-3', name: 'Cholesterol', value: '180', unit: 'mg/dL', status: 'F' }], 'F').slice(0, -1) + '|note \\X0';
    assert.equal((await send(cut)).code, 'AR');
  });

  it('rejects a cut message with AR and a message without a patient identifier with AE, naming the position', T, async () => {
    const cut = adt(NORTH, 'A08', PERSON_1, 'C-CUT-1', '20240306080000').slice(0, -1);
    const cutAck = await send(cut);
    assert.equal(cutAck.code, 'AR');
    const noId = adt(NORTH, 'A08', { ...PERSON_1, mrn: '' }, 'C-NOID-1', '20240306080000').replace(`||^^^NORTH^MR||`, '||||');
    const noIdAck = await send(noId);
    assert.equal(noIdAck.code, 'AE');
    assert.equal(noIdAck.err, '101');
    const reasons = await db().selectFrom('gateway_messages').select(['control_id', 'state', 'reason_code', 'reason']).where('control_id', 'in', ['C-CUT-1', 'C-NOID-1']).orderBy('control_id').execute();
    assert.deepEqual(reasons.map((r) => [r.control_id, r.state, r.reason_code]), [['C-CUT-1', 'quarantined', 'parse-truncated'], ['C-NOID-1', 'quarantined', 'map-missing-required']]);
    for (const r of reasons) assert.ok(!r.reason!.includes(PERSON_1.family));
  });
});
