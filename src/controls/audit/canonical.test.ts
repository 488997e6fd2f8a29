import assert from 'node:assert/strict';
import { test } from 'node:test';
import { useTestStore } from '../../../test/support/test-db.ts';
import type { PersonSubject } from '../access/subject.ts';
import { recordAudit } from './audit-event.ts';
import { AuditRecordError, canonicalBytes, canonicalJson, canonicalRecordJson, checkpointMessage, parseRecord, recordFromRow, type AuditRecord } from './canonical.ts';
import { leafHash } from './merkle.ts';

const testStore = useTestStore();

// A fixed event with every kind of value: nulls, empty and non-empty arrays, nested jsonb whose keys a caller wrote
// out of order, numbers jsonb re-spells, and text that needs escaping.
const FIXED = {
  id: '01900000-0000-7000-8000-0000000000e1',
  recorded_at: new Date('2026-03-04T05:06:07.089Z'),
  action: 'patient.search',
  action_code: 'E' as const,
  resource_type: 'Patient',
  resource_ids: ['01900000-0000-7000-8000-00000000a001', '01900000-0000-7000-8000-00000000a002'],
  patient_id: null,
  actor_type: 'person' as const,
  actor_id: '01900000-0000-7000-8000-0000000000b1',
  actor_name: 'dr.ng',
  actor_roles: ['physician', 'covering'],
  on_behalf_of: null,
  outcome: 'success' as const,
  reason_code: null,
  purpose_of_use: 'TREAT',
  break_glass: false,
  organization_id: '01900000-0000-7000-8000-0000000000c1',
  facility_id: null,
  session_id: '01900000-0000-7000-8000-0000000000d1',
  client_ip: '10.1.2.3',
  user_agent: 'Mozilla/5.0 "quoted" \\ tab\t line\n émoji 🩺',
  source_system: null,
  request_id: 'req-0001',
  query: { name: 'ng', _count: 20, filter: { z: [3, 1.5, 12345678901], a: null } },
  details: null,
};

const EXPECTED_JSON =
  '{"v":1,"id":"01900000-0000-7000-8000-0000000000e1","recorded_at":"2026-03-04T05:06:07.089Z","action":"patient.search","action_code":"E",' +
  '"resource_type":"Patient","resource_ids":["01900000-0000-7000-8000-00000000a001","01900000-0000-7000-8000-00000000a002"],"patient_id":null,' +
  '"actor_type":"person","actor_id":"01900000-0000-7000-8000-0000000000b1","actor_name":"dr.ng","actor_roles":["physician","covering"],' +
  '"on_behalf_of":null,"outcome":"success","reason_code":null,"purpose_of_use":"TREAT","break_glass":false,' +
  '"organization_id":"01900000-0000-7000-8000-0000000000c1","facility_id":null,"session_id":"01900000-0000-7000-8000-0000000000d1",' +
  '"client_ip":"10.1.2.3","user_agent":"Mozilla/5.0 \\"quoted\\" \\\\ tab\\t line\\n émoji 🩺","source_system":null,"request_id":"req-0001",' +
  '"query":{"_count":20,"filter":{"a":null,"z":[3,1.5,12345678901]},"name":"ng"},"details":null}';

// Pinned: a change here means every leaf hash ever sealed no longer verifies.
const EXPECTED_LEAF = '68bdd55b0cba5e3463c4adb0d80a6eee5c211ee732658b8b8bb54bd2b5689a8a';

test('the canonical bytes of an event have a fixed key order, keep nulls and arrays, sort nested keys, and are pinned', () => {
  const record = recordFromRow(FIXED);
  assert.equal(canonicalRecordJson(record), EXPECTED_JSON);
  assert.equal(leafHash(canonicalBytes(record)).toString('hex'), EXPECTED_LEAF);
  // Building the same values in another order gives the same bytes.
  const shuffled = Object.fromEntries(Object.entries(record).reverse()) as unknown as AuditRecord;
  shuffled.query = { filter: { a: null, z: [3, 1.5, 12345678901] }, name: 'ng', _count: 20 };
  assert.equal(canonicalRecordJson(shuffled), EXPECTED_JSON);
});

test('the canonical bytes are the same after a round trip through this engine (jsonb, text[], timestamptz)', async () => {
  const store = testStore();
  await store.db
    .insertInto('audit.events')
    .values({ ...FIXED, query: JSON.stringify(FIXED.query), details: null })
    .execute();
  const row = await store.db.selectFrom('audit.events').selectAll().where('id', '=', FIXED.id).executeTakeFirstOrThrow();
  assert.equal(canonicalRecordJson(recordFromRow(row)), EXPECTED_JSON, `engine ${store.engine}`);
  assert.equal(leafHash(canonicalBytes(recordFromRow(row))).toString('hex'), EXPECTED_LEAF);
});

test('an event written by recordAudit hashes the same from the row as from what was written', async () => {
  const store = testStore();
  const subject: PersonSubject = {
    kind: 'person',
    id: '01900000-0000-7000-8000-0000000000b2',
    username: 'nurse.k',
    displayName: 'K',
    roles: ['nurse'],
    organizationId: '01900000-0000-7000-8000-0000000000c1',
    facilityIds: [],
    sessionId: '01900000-0000-7000-8000-0000000000d2',
    sessionKind: 'web',
    mfaAt: null,
  };
  const id = await store.tx((trx) =>
    recordAudit(trx, subject, { requestId: 'req-2', clientIp: '::1', userAgent: null, purposeOfUse: 'TREAT' }, {
      action: 'patient.read',
      actionCode: 'R',
      resourceType: 'Patient',
      resourceIds: ['01900000-0000-7000-8000-00000000a001'],
      patientId: '01900000-0000-7000-8000-00000000a001',
      outcome: 'success',
      details: { b: [1, { y: true, x: 'é' }], a: 0.1 },
    }),
  );
  const row = await store.db.selectFrom('audit.events').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const record = recordFromRow(row);
  assert.equal(record.recorded_at.length, 24);
  assert.deepEqual(record.details, { a: 0.1, b: [1, { x: 'é', y: true }] });
  assert.ok(canonicalRecordJson(record).endsWith('"query":null,"details":{"a":0.1,"b":[1,{"x":"é","y":true}]}}'));
  // Parsing the exported record back gives the same bytes: the offline verifier sees what the sealer hashed.
  assert.equal(canonicalRecordJson(parseRecord(JSON.parse(canonicalRecordJson(record)))), canonicalRecordJson(record));
});

test('a record from a file must be exactly what this version writes', () => {
  const good = JSON.parse(EXPECTED_JSON) as Record<string, unknown>;
  assert.doesNotThrow(() => parseRecord(good));
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['extra field', { ...good, note: 'x' }, /field this version does not write \(note\)/],
    ['missing field', Object.fromEntries(Object.entries(good).filter(([k]) => k !== 'outcome')), /no field outcome/],
    ['wrong type', { ...good, break_glass: 'no' }, /break_glass/],
    ['other time spelling', { ...good, recorded_at: '2026-03-04T05:06:07.089+00:00' }, /recorded_at/],
    ['unknown action code', { ...good, action_code: 'X' }, /action_code/],
    ['other version', { ...good, v: 2 }, /field v/],
  ];
  for (const [name, value, message] of cases) {
    assert.throws(() => parseRecord(value), (err: unknown) => err instanceof AuditRecordError && message.test(err.message), name);
  }
  assert.throws(() => parseRecord({ ...good, ['<script>' as string]: 1 }), /unprintable name/);
});

test('canonical JSON sorts keys at every depth and refuses numbers JSON cannot hold', () => {
  assert.equal(canonicalJson({ b: { d: 1, c: [{ f: 1, e: 2 }] }, a: 'x' }), '{"a":"x","b":{"c":[{"e":2,"f":1}],"d":1}}');
  assert.throws(() => canonicalJson({ a: Number.NaN }), AuditRecordError);
});

test('the checkpoint message is versioned text with every signed field on its own line', () => {
  const message = checkpointMessage({
    treeSize: 1000,
    rootHash: Buffer.alloc(32, 1),
    chainHash: Buffer.alloc(32, 2),
    issuedAt: new Date('2026-03-04T05:06:07.089Z'),
    keyId: 'ed25519-0123456789abcdef',
  });
  assert.equal(
    message.toString('utf8'),
    `vigil-audit-checkpoint/v1\n1000\n${Buffer.alloc(32, 1).toString('base64')}\n${'02'.repeat(32)}\n2026-03-04T05:06:07.089Z\ned25519-0123456789abcdef`,
  );
});
