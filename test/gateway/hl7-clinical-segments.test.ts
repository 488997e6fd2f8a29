import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { MRN_SYSTEM } from '../support/access-fixture.ts';
import { systemClientToken } from '../support/client-token.ts';
import { CANARY_PATIENT } from '../support/canaries.ts';
import { NORTH, PERSON_1, PERSON_2, type Person } from '../support/hl7-builder.ts';
import type { TestVigil } from '../support/in-process.ts';
import { sendForAck } from '../support/mllp-send.ts';
import type { RawMllpClient } from '../support/raw-mllp-client.ts';
import { waitFor } from '../support/wait.ts';
import { assertNoCanaries, auditOf, call, errorBodies, reasonOf } from '../fhir-clinical/http.ts';
import { EHR, msh, pid, startClinicalMllp, type ClinicalMllp, type Seeded } from '../fhir-clinical/seed.ts';

/**
 * Allergies, diagnoses and documents from HL7 v2, from the sender's socket to the FHIR face: AL1 and DG1 in an ADT
 * become allergies and encounter diagnoses; an MDM^T02 with a PDF becomes a DocumentReference whose content is stored
 * encrypted and served by Binary only to those who may read the document, audited; broken documents are refused to
 * quarantine with a reason that names the field, never the content.
 */
const T = { timeout: 120_000 };
let t: TestVigil;
let s: Seeded;
let client: RawMllpClient;
let tokens: Map<string, string>;
// The document names the patient, so any leak of its content into logs or answers trips the canary guard.
const PDF = Buffer.from(`%PDF-1.4\n1 0 obj << /Title (Discharge of ${CANARY_PATIENT.family}) >> endobj\n%%EOF\n`);

const mdm = (p: Person, control: string, doc: string, obx: string, event = 'T02', time = '20240302100000') =>
  [msh(EHR, time, `MDM^${event}^MDM_T02`, control), `EVN|${event}|${time}`, pid(p), 'PV1|1|I|WARD1^101^A||||||||||||||||V100', `TXA|1|DS^Discharge summary^HL70270|AP|20240302095000||20240302095000||||||${doc}^EHR|||||AU||AV`, obx].join('\r') + '\r';

async function send(message: string): Promise<{ code: string; err?: string }> {
  const ack = await sendForAck(client, message);
  const err = ack.get('ERR-2');
  return { code: ack.get('MSA-1')!, ...(err ? { err } : {}) };
}

async function settled(control: string): Promise<{ state: string; reason_code: string | null; reason: string | null }> {
  let row: { state: string; reason_code: string | null; reason: string | null } | undefined;
  await waitFor(`${control} to settle`, async () => {
    row = await t.vigil.store.db.selectFrom('gateway_messages').select(['state', 'reason_code', 'reason']).where('control_id', '=', control).executeTakeFirst();
    return row !== undefined && row.state !== 'received' && row.state !== 'retrying';
  });
  return row!;
}

const as = (role: string, path: string, headers: Record<string, string> = {}) => call(t, tokens.get(role)!, path, headers);
const own = () => s.fixture.patients['own-team'].id;

async function binary(role: string, path: string): Promise<{ status: number; type: string; bytes: Buffer; requestId: string; disposition: string | null }> {
  const res = await fetch(`${t.url}${path}`, { headers: { authorization: `Bearer ${tokens.get(role)!}` } });
  return { status: res.status, type: res.headers.get('content-type') ?? '', bytes: Buffer.from(await res.arrayBuffer()), requestId: res.headers.get('x-request-id') ?? '', disposition: res.headers.get('content-disposition') };
}

let started: ClinicalMllp | undefined;
before(async () => {
  started = await startClinicalMllp(['physician', 'billing-specialist']);
  ({ t, s, tokens, client } = started);
}, T);

after(() => started?.close());

describe('HL7 v2 allergies, diagnoses and documents into the chart', () => {
  it('records AL1 allergies and DG1 diagnoses of an A08, the diagnoses on the visit', T, async () => {
    const a08 = [
      msh(NORTH, '20240302080000', 'ADT^A08^ADT_A01', 'C-A08-AL1'),
      'EVN|A08|20240302080000',
      pid(PERSON_1),
      'PV1|1|I|WARD1^101^A||||||||||||||||V100|||||||||||||||||||||||||20240301080000',
      'AL1|1|DA|7980^Penicillin^RXNORM|SV|Hives~Anaphylaxis|20200115',
      'AL1|2|FA|^Peanut|ZZ|Rash',
      'DG1|1||J18.9^Pneumonia^I10||20240301090000|A',
    ].join('\r') + '\r';
    assert.equal((await send(a08)).code, 'AA');
    assert.equal((await settled('C-A08-AL1')).state, 'processed');

    const allergies = await as('physician', `/fhir/R4/AllergyIntolerance?patient=${own()}`);
    assert.equal(allergies.status, 200);
    const byText = new Map((allergies.json.entry ?? []).map((e) => [JSON.stringify((e.resource['code'] as { coding?: { code: string }[]; text?: string }).coding?.[0]?.code ?? (e.resource['code'] as { text?: string }).text), e.resource]));
    const penicillin = byText.get('"7980"')!;
    assert.deepEqual([penicillin['criticality'], penicillin['category'], (penicillin['clinicalStatus'] as { coding: { code: string }[] }).coding[0]!.code], ['high', ['medication'], 'active']);
    assert.deepEqual(penicillin['reaction'], [{ manifestation: [{ text: 'Hives; Anaphylaxis' }], severity: 'severe' }]);
    const peanut = byText.get('"Peanut"')!;
    assert.equal(peanut['criticality'], undefined, 'an unknown severity code is not turned into a criticality');

    const conditions = await as('physician', `/fhir/R4/Condition?patient=${own()}&category=encounter-diagnosis`);
    const [dx] = conditions.json.entry ?? [];
    assert.equal((dx!.resource['code'] as { coding: { code: string }[] }).coding[0]!.code, 'J18.9');
    assert.deepEqual(dx!.resource['encounter'], { reference: `Encounter/${s.encounterId}` });
  });

  it('stores an MDM^T02 PDF encrypted and serves it by Binary to the care team, audited like the DocumentReference', T, async () => {
    assert.equal((await send(mdm(PERSON_1, 'C-MDM-1', 'DOC-77', `OBX|1|ED|18842-5^Discharge summary^LN||EHR^AP^PDF^Base64^${PDF.toString('base64')}||||||F`))).code, 'AA');
    assert.equal((await settled('C-MDM-1')).state, 'processed');

    const stored = await sql<{ ciphertext: Buffer; size_bytes: number; content_type: string; patient_id: string }>`select ciphertext, size_bytes, content_type, patient_id from document_contents`.execute(t.vigil.store.db);
    assert.equal(stored.rows.length, 1);
    assert.deepEqual([stored.rows[0]!.size_bytes, stored.rows[0]!.content_type, stored.rows[0]!.patient_id], [PDF.length, 'application/pdf', own()]);
    assert.ok(!Buffer.from(stored.rows[0]!.ciphertext).includes(Buffer.from(CANARY_PATIENT.family)), 'the content is stored encrypted');
    const body = await sql<{ body: string }>`select body::text as body from clinical_facts where source_key = 'document:DOC-77^EHR'`.execute(t.vigil.store.db);
    assert.ok(!body.rows[0]!.body.includes(CANARY_PATIENT.family) && !body.rows[0]!.body.includes(PDF.toString('base64').slice(0, 40)), 'the fact body carries no content');

    const search = await as('physician', `/fhir/R4/DocumentReference?patient=${own()}`);
    const doc = (search.json.entry ?? []).map((e) => e.resource).find((r) => (r['content'] as { attachment: { url?: string } }[])[0]!.attachment.url)!;
    const attachment = (doc['content'] as { attachment: { url: string; contentType: string; size: number } }[])[0]!.attachment;
    assert.deepEqual(attachment, { contentType: 'application/pdf', url: `Binary/${doc.id}`, size: PDF.length, title: 'Discharge summary' });
    assert.equal(doc['docStatus'], 'final');

    const read = await binary('physician', `/fhir/R4/${attachment.url}`);
    assert.equal(read.status, 200);
    assert.equal(read.type, 'application/pdf');
    assert.equal(read.disposition, 'attachment');
    assert.deepEqual(read.bytes, PDF);
    const [event] = await auditOf(t, read.requestId);
    assert.deepEqual([event!.action, event!.outcome, event!.resource_type, event!.resource_ids, event!.patient_id], ['chart.read', 'success', 'Binary', [doc.id], own()]);

    const asJson = await as('physician', `/fhir/R4/${attachment.url}`, { accept: 'application/fhir+json' });
    assert.deepEqual([asJson.json.resourceType, asJson.json['contentType'], asJson.json['data']], ['Binary', 'application/pdf', PDF.toString('base64')]);
  });

  it('refuses the content to a role that may not read charts, and to another team, as it refuses a missing id; both audited', T, async () => {
    const id = (await t.vigil.store.db.selectFrom('clinical_facts').select('id').where('source_key', '=', 'document:DOC-77^EHR').executeTakeFirstOrThrow()).id;
    const billing = await as('billing-specialist', `/fhir/R4/Binary/${id}`);
    assert.equal(billing.status, 403);
    const [denied] = await auditOf(t, billing.requestId);
    assert.deepEqual([denied!.outcome, denied!.action], ['denied', 'chart.read']);

    assert.equal((await send(mdm(PERSON_2, 'C-MDM-OTHER', 'DOC-88', `OBX|1|ED|18842-5^Discharge summary^LN||EHR^AP^PDF^Base64^${PDF.toString('base64')}||||||F`))).code, 'AA');
    assert.equal((await settled('C-MDM-OTHER')).state, 'processed');
    const otherId = (await t.vigil.store.db.selectFrom('clinical_facts').select('id').where('source_key', '=', 'document:DOC-88^EHR').executeTakeFirstOrThrow()).id;
    const other = await as('physician', `/fhir/R4/Binary/${otherId}`);
    const missing = await as('physician', '/fhir/R4/Binary/01890000-0000-7000-8000-00000000abcd');
    assert.deepEqual([other.status, reasonOf(other)], [403, 'deny-no-care-relation']);
    assert.deepEqual([missing.status, reasonOf(missing)], [403, 'deny-no-care-relation']);
    const [otherEvent] = await auditOf(t, other.requestId);
    assert.deepEqual([otherEvent!.outcome, otherEvent!.resource_type, otherEvent!.patient_id], ['denied', 'Binary', s.fixture.patients['other-team'].id]);
    assert.ok(!other.text.includes(CANARY_PATIENT.family));
  });

  it('refuses ED content that is not base64 with AE, quarantines it with a reason naming OBX-5.5, and stores no content', T, async () => {
    const before = await sql<{ n: number }>`select count(*)::int as n from document_contents`.execute(t.vigil.store.db);
    const ack = await send(mdm(PERSON_1, 'C-MDM-BAD', 'DOC-99', `OBX|1|ED|18842-5^Discharge summary^LN||EHR^AP^PDF^Base64^${CANARY_PATIENT.family}!!!||||||F`));
    assert.equal(ack.code, 'AE');
    const row = await settled('C-MDM-BAD');
    assert.equal(row.state, 'quarantined');
    assert.match(row.reason ?? '', /OBX-5\.5/);
    assert.ok(!(row.reason ?? '').includes(CANARY_PATIENT.family));
    const after = await sql<{ n: number }>`select count(*)::int as n from document_contents`.execute(t.vigil.store.db);
    assert.equal(after.rows[0]!.n, before.rows[0]!.n);
  });

  it('refuses an MDM without a unique document number (TXA-12) the same way', T, async () => {
    const ack = await send(mdm(PERSON_1, 'C-MDM-NOID', '', 'OBX|1|TX|||Text of the note||||||F'));
    assert.equal(ack.code, 'AE');
    const row = await settled('C-MDM-NOID');
    assert.deepEqual([row.state, /TXA-12/.test(row.reason ?? '')], ['quarantined', true]);
  });

  it('serves the edited content after a T08, and no content once the document is cancelled (T11)', T, async () => {
    await send(mdm(PERSON_1, 'C-MDM-V1', 'DOC-66', 'OBX|1|TX|||First draft of the note||||||F', 'T02', '20240302100000'));
    await send(mdm(PERSON_1, 'C-MDM-V2', 'DOC-66', 'OBX|1|TX|||Corrected note||||||F', 'T08', '20240302120000'));
    for (const control of ['C-MDM-V1', 'C-MDM-V2']) assert.equal((await settled(control)).state, 'processed');
    const id = (await t.vigil.store.db.selectFrom('clinical_facts').select('id').where('source_key', '=', 'document:DOC-66^EHR').executeTakeFirstOrThrow()).id;
    const edited = await binary('physician', `/fhir/R4/Binary/${id}`);
    assert.deepEqual([edited.status, edited.bytes.toString('utf8')], [200, 'Corrected note']);
    assert.equal((await as('physician', `/fhir/R4/DocumentReference/${id}`)).json['docStatus'], 'amended');
    const versions = await sql<{ n: number }>`select count(*)::int as n from document_contents where fact_id = ${id}`.execute(t.vigil.store.db);
    assert.equal(versions.rows[0]!.n, 2, 'each version keeps its own content');

    await send(mdm(PERSON_1, 'C-MDM-T11', 'DOC-66', '', 'T11', '20240302130000'));
    assert.equal((await settled('C-MDM-T11')).state, 'processed');
    const cancelled = await as('physician', `/fhir/R4/DocumentReference/${id}`);
    assert.deepEqual([cancelled.json['status'], (cancelled.json['content'] as { attachment: { url?: string } }[])[0]!.attachment.url], ['entered-in-error', undefined]);
    assert.equal((await binary('physician', `/fhir/R4/Binary/${id}`)).status, 404);
  });

  it('stores a FHIR DocumentReference attachment the same way, served by Binary', T, async () => {
    const token = await systemClientToken(t.vigil.store, t.url, 'north-ehr-fhir', ['system/Bundle.write']);
    await t.vigil.store.tx((trx) => t.vigil.gateway.registry.add(trx, { name: 'north-ehr-fhir', kind: 'fhir', clientId: 'north-ehr-fhir', profile: { timeZone: 'America/New_York' } }, { actorName: 'test' }));
    const note = `Seen today; ${CANARY_PATIENT.family} is improving.`;
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:11111111-1111-4111-8111-111111111111', resource: { resourceType: 'Patient', id: 'p1', identifier: [{ system: MRN_SYSTEM, value: PERSON_1.mrn }], name: [{ family: PERSON_1.family, given: [PERSON_1.given] }] }, request: { method: 'PUT', url: 'Patient/p1' } },
        {
          fullUrl: 'urn:uuid:22222222-2222-4222-8222-222222222222',
          resource: { resourceType: 'DocumentReference', id: 'note-1', status: 'current', docStatus: 'final', subject: { reference: 'urn:uuid:11111111-1111-4111-8111-111111111111' }, type: { text: 'Progress note' }, content: [{ attachment: { contentType: 'text/plain', data: Buffer.from(note).toString('base64') } }] },
          request: { method: 'PUT', url: 'DocumentReference/note-1' },
        },
      ],
    };
    const response = await fetch(`${t.url}/fhir/R4`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' }, body: JSON.stringify(bundle) });
    assert.equal(response.status, 202);
    const messageId = response.headers.get('x-vigil-message-id')!;
    await waitFor('the FHIR bundle to be processed', async () => (await t.vigil.store.db.selectFrom('gateway_messages').select('state').where('id', '=', messageId).executeTakeFirst())?.state === 'processed');
    const fact = await t.vigil.store.db.selectFrom('clinical_facts').select(['id', 'patient_id']).where('source_key', '=', 'DocumentReference/note-1').executeTakeFirstOrThrow();
    assert.equal(fact.patient_id, own());
    const read = await binary('physician', `/fhir/R4/Binary/${fact.id}`);
    assert.deepEqual([read.status, read.type, read.bytes.toString('utf8')], [200, 'text/plain', note]);
  });

  it('opens the content to a system client with the DocumentReference scope, and to no narrower one', T, async () => {
    const id = (await t.vigil.store.db.selectFrom('clinical_facts').select('id').where('source_key', '=', 'document:DOC-77^EHR').executeTakeFirstOrThrow()).id;
    const documents = await systemClientToken(t.vigil.store, t.url, 'records-system', ['system/DocumentReference.read']);
    const pharmacy = await systemClientToken(t.vigil.store, t.url, 'pharmacy-system', ['system/MedicationRequest.read']);
    const allowed = await call(t, documents, `/fhir/R4/Binary/${id}`, { accept: 'application/fhir+json' });
    assert.deepEqual([allowed.status, allowed.json['data']], [200, PDF.toString('base64')]);
    const refused = await call(t, pharmacy, `/fhir/R4/Binary/${id}`);
    assert.deepEqual([refused.status, reasonOf(refused)], [403, 'deny-scope']);
  });

  it('never puts document content in a log line or an error body', T, async () => {
    const logs = t.logLines().map((l) => JSON.stringify(l));
    for (const line of logs) assert.ok(!line.includes(CANARY_PATIENT.family) && !line.includes(PDF.toString('base64').slice(0, 24)));
    assertNoCanaries(errorBodies);
  });

  it('refuses to open a ciphertext moved to another document row (bound to its row), answering no content', T, async () => {
    const rows = await sql<{ id: string; fact_id: string; ciphertext: Buffer }>`select id, fact_id, ciphertext from document_contents order by id limit 2`.execute(t.vigil.store.db);
    const [a, b] = rows.rows;
    await sql`update document_contents set ciphertext = ${b!.ciphertext} where id = ${a!.id}`.execute(t.vigil.store.db);
    const read = await as('physician', `/fhir/R4/Binary/${a!.fact_id}`);
    assert.equal(read.status, 500);
    assert.ok(!read.text.includes(CANARY_PATIENT.family));
  });
});
