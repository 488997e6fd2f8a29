import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { v7 as uuidv7 } from 'uuid';
import { writeFact, type FactTarget } from '../src/core/clinical/fact-writer.ts';
import type { IdentityHistory } from '../src/core/identity/identity-history.ts';
import { linkRecords, mergeRecords } from '../src/core/identity/merge.ts';
import { resolveRecord, type RecordArrival } from '../src/core/identity/resolve.ts';
import type { PatientRecordInput } from '../src/model/clinical.ts';
import { buildAccessFixture, MRN_SYSTEM, signIn, type AccessFixture } from './support/access-fixture.ts';
import { CANARIES, CANARY_PATIENT } from './support/canaries.ts';
import { startTestVigil, type TestVigil } from './support/in-process.ts';

/**
 * Correcting identity after the fact, through HTTP as an integration operator: a patient's identity history lists its
 * records and link decisions; a record linked automatically is split off into a patient of its own (its result
 * follows it) and the split is undone; a merge a source stated is undone as a whole. Each needs a reason, is audited
 * against every patient it touches, refuses what cannot be done with a clear 409, and never quotes a patient.
 */
const T = { timeout: 60_000 };
let t: TestVigil;
let fixture: AccessFixture;
const tokens = new Map<string, string>();
const db = () => t.vigil.store.db;
let patientId: string;
let southRecordId: string;
let southFactId: string;
let mergeId: string;
let retiredPatientId: string;
let northId: string;
const bodies: unknown[] = [];

async function call<B = Record<string, unknown>>(who: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: B; requestId: string }> {
  const headers: Record<string, string> = { authorization: `Bearer ${tokens.get(who)}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${t.url}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  const parsed = (text ? JSON.parse(text) : {}) as B;
  if (res.status >= 400) bodies.push(parsed);
  return { status: res.status, body: parsed, requestId: res.headers.get('x-request-id') ?? '' };
}

const auditOf = (requestId: string) => db().selectFrom('audit.events').select(['action', 'action_code', 'patient_id', 'outcome', 'details']).where('request_id', '=', requestId).execute();

function person(identifiers: { system: string; value: string }[]): PatientRecordInput {
  return { identifiers, family: CANARY_PATIENT.family, given: [CANARY_PATIENT.given], birthDate: CANARY_PATIENT.birthDate, sex: 'female', flags: [] };
}

function arrival(sourceId: string, sourceName: string, key: { system: string; value: string }, record: PatientRecordInput, facilityId: string): RecordArrival {
  const provenance = { derivation: 'asserted' as const, sourceId, sourceName, messageId: uuidv7(), receivedAt: new Date().toISOString(), transform: 'test-seed@1 profile 1', confidence: 1, flags: [] };
  return { sourceId, recordKey: key, record, sourceTime: new Date('2024-03-01T08:00:00Z'), provenance, messageId: null, actor: 'test', managingFacilityId: facilityId, registering: true } as RecordArrival;
}

before(async () => {
  t = await startTestVigil();
  fixture = await buildAccessFixture(t.vigil.store, t.vigil.config, ['integration-operator', 'nurse']);
  const registry = t.vigil.gateway.registry;
  await t.vigil.store.tx(async (trx) => {
    const north = (await registry.add(trx, { name: 'north-adt', kind: 'hl7v2', msh3: 'NORTHADT', msh4: 'NORTH' }, { actorName: 'test' })).id;
    northId = north;
    const south = (await registry.add(trx, { name: 'south-lab', kind: 'hl7v2', msh3: 'SOUTHLAB', msh4: 'SOUTH' }, { actorName: 'test' })).id;
    const mrn = { system: MRN_SYSTEM, value: CANARY_PATIENT.mrn };
    const northRecord = await resolveRecord(trx, arrival(north, 'north-adt', mrn, person([mrn]), fixture.north), null);
    patientId = northRecord.patientId;
    // The lab files the person under its own number and the hospital MRN: linked automatically by the MRN.
    const labKey = { system: 'urn:oid:2.16.840.1.113883.19.9', value: 'L-5501' };
    const southRecord = await resolveRecord(trx, arrival(south, 'south-lab', labKey, person([labKey, mrn]), fixture.north), null);
    if (southRecord.patientId !== patientId) throw new Error('the lab record should have been linked by the shared MRN');
    southRecordId = southRecord.recordId;
    const provenance = { derivation: 'asserted' as const, sourceId: south, sourceName: 'south-lab', messageId: uuidv7(), receivedAt: new Date().toISOString(), transform: 'test-seed@1 profile 1', confidence: 1, flags: [] };
    const target = { sourceId: south, recordId: southRecordId, patientId, encounterId: null, encounterKey: null, provenance } as FactTarget;
    const at = { instant: '2024-03-02T09:00:00.000Z', zoneFrom: 'profile' as const, zone: 'America/New_York', precision: 'minute' as const };
    southFactId = await writeFact(trx, target, { kind: 'observation', sourceKey: 'L-OBX-1', status: 'final', code: { codings: [{ system: 'http://loinc.org', code: '2345-7' }] }, effective: at, body: {}, position: 'OBX[1]', flags: [] }, new Date(at.instant));
    // north-adt also registered the person twice and then merged the duplicate (A40).
    const dupKey = { system: MRN_SYSTEM, value: 'DUP-0042' };
    const dup = await resolveRecord(trx, arrival(north, 'north-adt', dupKey, { ...person([dupKey]), birthDate: '1931-01-01', family: 'Otherfamily' }, fixture.north), null);
    retiredPatientId = dup.patientId;
    if (retiredPatientId === patientId) throw new Error('the duplicate should have made a patient of its own');
    mergeId = (await mergeRecords(trx, { survivorRecordId: northRecord.recordId, retiredRecordId: dup.recordId, actor: 'test', messageId: null })).mergeId;
  });
  for (const who of ['integration-operator', 'nurse']) tokens.set(who, await signIn(t.url, fixture.people.get(who)!));
});

after(async () => {
  await t?.close();
});

const history = async () => (await call<IdentityHistory>('integration-operator', 'GET', `/api/identity/patients/${patientId}/history`)).body;

describe('identity history and corrections', () => {
  it('lists the records and link decisions of a patient with what may be undone, and audits the read', T, async () => {
    const res = await call<IdentityHistory>('integration-operator', 'GET', `/api/identity/patients/${patientId}/history`);
    assert.equal(res.status, 200);
    assert.equal(res.body.livePatientId, patientId);
    assert.equal(res.body.records.length, 3, 'the hospital record, the lab record and the merged duplicate');
    assert.deepEqual(res.body.records.filter((r) => r.mayBeSplit).length, 2, 'a retired record is not split; undo its merge instead');
    const decisions = res.body.events.map((e) => e.decision);
    for (const d of ['new-patient', 'same-identifier', 'source-merge']) assert.ok(decisions.includes(d), d);
    const merge = res.body.events.find((e) => e.decision === 'source-merge')!;
    assert.deepEqual(merge.action, { kind: 'unmerge', mergeId });
    const events = await auditOf(res.requestId);
    assert.deepEqual(events.map((e) => [e.action, e.action_code, e.patient_id, e.outcome]), [['identity.history.read', 'R', patientId, 'success']]);
  });

  it('splits an automatically linked record off with its result, and undoes the split', T, async () => {
    const noReason = await call('integration-operator', 'POST', `/api/identity/records/${southRecordId}/split`, { reason: ' ' });
    assert.equal(noReason.status, 400);
    const split = await call<{ eventId: string; newPatientId: string; fromPatientId: string }>('integration-operator', 'POST', `/api/identity/records/${southRecordId}/split`, { reason: 'lab number belongs to a namesake' });
    assert.equal(split.status, 200);
    assert.equal(split.body.fromPatientId, patientId);
    const moved = await db().selectFrom('clinical_facts').select('patient_id').where('id', '=', southFactId).executeTakeFirstOrThrow();
    assert.equal(moved.patient_id, split.body.newPatientId, 'the result follows its record');
    const audit = await auditOf(split.requestId);
    assert.deepEqual(new Set(audit.map((e) => e.patient_id)), new Set([patientId, split.body.newPatientId]));
    assert.ok(audit.every((e) => e.action === 'identity.split' && e.action_code === 'U'));

    const alone = await call('integration-operator', 'POST', `/api/identity/records/${southRecordId}/split`, { reason: 'again' });
    assert.equal(alone.status, 409, 'the record is now its patient’s only one');
    const splitEvent = (await history()).events.find((e) => e.decision === 'person-split')!;
    assert.deepEqual(splitEvent.action, { kind: 'undo-split', eventId: split.body.eventId });
    assert.equal(splitEvent.reason, 'lab number belongs to a namesake');

    const undo = await call<{ restoredToPatientId: string }>('integration-operator', 'POST', `/api/identity/link-events/${split.body.eventId}/undo-split`, { reason: 'namesake ruled out by phone call' });
    assert.equal(undo.status, 200);
    assert.equal(undo.body.restoredToPatientId, patientId);
    const back = await db().selectFrom('clinical_facts').select('patient_id').where('id', '=', southFactId).executeTakeFirstOrThrow();
    assert.equal(back.patient_id, patientId);
    const shell = await db().selectFrom('patients').select('merged_into').where('id', '=', split.body.newPatientId).executeTakeFirstOrThrow();
    assert.equal(shell.merged_into, patientId, 'the emptied patient points to where its record went');
    const record = await db().selectFrom('patient_records').select('link_reason').where('id', '=', southRecordId).executeTakeFirstOrThrow();
    assert.equal(record.link_reason, 'same-identifier', 'the record is linked as it was before the split');
    assert.equal((await call('integration-operator', 'POST', `/api/identity/link-events/${split.body.eventId}/undo-split`, { reason: 'twice' })).status, 409);
  });

  it('undoes a source merge as a whole, once', T, async () => {
    const res = await call<{ restoredRecords: number; restoredPatientId: string }>('integration-operator', 'POST', `/api/identity/merges/${mergeId}/unmerge`, { reason: 'A40 sent for the wrong patient' });
    assert.equal(res.status, 200);
    assert.equal(res.body.restoredPatientId, retiredPatientId);
    const retired = await db().selectFrom('patients').select('merged_into').where('id', '=', retiredPatientId).executeTakeFirstOrThrow();
    assert.equal(retired.merged_into, null);
    const audit = await auditOf(res.requestId);
    assert.deepEqual(new Set(audit.map((e) => e.patient_id)), new Set([patientId, retiredPatientId]));
    assert.ok(audit.every((e) => e.action === 'identity.unmerge' && (e.details as { reason?: string }).reason === 'A40 sent for the wrong patient'));
    assert.equal((await call('integration-operator', 'POST', `/api/identity/merges/${mergeId}/unmerge`, { reason: 'again' })).status, 409);
    assert.equal((await call('integration-operator', 'POST', `/api/identity/merges/${uuidv7()}/unmerge`, { reason: 'unknown' })).status, 404);
    const after = await history();
    assert.equal(after.records.length, 2, 'the duplicate’s record went back to its own patient');
    assert.equal(after.events.find((e) => e.decision === 'source-merge')!.action, null, 'an undone merge offers nothing more');
  });

  it('undoes a link a source stated (A24) as a whole, once, and the history says so', T, async () => {
    const { first, second, linkId } = await t.vigil.store.tx(async (trx) => {
      const keyA = { system: MRN_SYSTEM, value: 'LNK-A-1' };
      const keyB = { system: MRN_SYSTEM, value: 'LNK-B-2' };
      const a = await resolveRecord(trx, arrival(northId, 'north-adt', keyA, person([keyA]), fixture.north), null);
      const b = await resolveRecord(trx, arrival(northId, 'north-adt', keyB, { ...person([keyB]), birthDate: '1944-04-04' }, fixture.north), null);
      await linkRecords(trx, { firstRecordId: a.recordId, secondRecordId: b.recordId, sourceTime: new Date('2024-03-05T08:00:00Z'), actor: 'test', messageId: null });
      const event = await trx.selectFrom('identity_link_events').select('evidence').where('decision', '=', 'source-link').where('record_id', '=', b.recordId).executeTakeFirstOrThrow();
      return { first: a, second: b, linkId: (event.evidence as { link: string }).link };
    });
    const linked = (await call<IdentityHistory>('integration-operator', 'GET', `/api/identity/patients/${first.patientId}/history`)).body;
    assert.equal(linked.records.length, 2, 'both records, both live, on one patient');
    assert.deepEqual(linked.events.find((e) => e.decision === 'source-link')!.action, { kind: 'undo-source-link', linkId });

    assert.equal((await call('integration-operator', 'POST', `/api/identity/links/${linkId}/undo`, { reason: ' ' })).status, 400, 'a reason is needed');
    const res = await call<{ restoredRecords: number; restoredPatientId: string }>('integration-operator', 'POST', `/api/identity/links/${linkId}/undo`, { reason: 'A24 named the wrong twin' });
    assert.equal(res.status, 200);
    assert.equal(res.body.restoredPatientId, second.patientId);
    const audit = await auditOf(res.requestId);
    assert.deepEqual(new Set(audit.map((e) => e.patient_id)), new Set([first.patientId, second.patientId]));
    assert.ok(audit.every((e) => e.action === 'identity.unlink-source' && (e.details as { reason?: string }).reason === 'A24 named the wrong twin'));
    assert.equal((await call('integration-operator', 'POST', `/api/identity/links/${linkId}/undo`, { reason: 'again' })).status, 409);
    assert.equal((await call('integration-operator', 'POST', `/api/identity/links/${uuidv7()}/undo`, { reason: 'unknown' })).status, 404);
    const after = (await call<IdentityHistory>('integration-operator', 'GET', `/api/identity/patients/${first.patientId}/history`)).body;
    assert.equal(after.records.length, 1, 'the second record went back to its own patient');
    assert.equal(after.events.find((e) => e.decision === 'source-link')!.action, null, 'an undone link offers nothing more');
    assert.ok(after.events.some((e) => e.decision === 'person-unlink-source'));
  });

  it('refuses a nurse (no identity.review) with 403, audited, and no error quotes a patient', T, async () => {
    const res = await call('nurse', 'GET', `/api/identity/patients/${patientId}/history`);
    assert.equal(res.status, 403);
    const [event] = await auditOf(res.requestId);
    assert.equal(event?.outcome, 'denied');
    assert.equal((await call('nurse', 'POST', `/api/identity/records/${southRecordId}/split`, { reason: 'try' })).status, 403);
    assert.equal((await call('nurse', 'POST', `/api/identity/links/${uuidv7()}/undo`, { reason: 'try' })).status, 403, 'nor may a nurse undo a source link');
    assert.equal((await call('integration-operator', 'GET', `/api/identity/patients/${uuidv7()}/history`)).status, 404);
    const text = JSON.stringify(bodies).toLowerCase();
    assert.ok(bodies.length >= 6);
    assert.ok(!CANARIES.some((c) => text.includes(c.value.toLowerCase())), 'an error body quoted a patient');
  });
});
