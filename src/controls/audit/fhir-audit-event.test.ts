import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalJson, hasCanonicalKeyOrder, recordFromRow, type AuditEventRow, type AuditRecord } from './canonical.ts';
import { EXT, toFhirAuditEvent } from './fhir-audit-event.ts';

const PATIENT = '01900000-0000-7000-8000-00000000a001';
const ROW: AuditEventRow = {
  id: '01900000-0000-7000-8000-0000000000e2',
  recorded_at: new Date('2026-03-04T05:06:07.089Z'),
  action: 'patient.read',
  action_code: 'R',
  resource_type: 'Patient',
  resource_ids: [PATIENT],
  patient_id: PATIENT,
  actor_type: 'person',
  actor_id: '01900000-0000-7000-8000-0000000000b1',
  actor_name: 'dr.ng',
  actor_roles: ['physician'],
  on_behalf_of: '01900000-0000-7000-8000-0000000000b9',
  outcome: 'success',
  reason_code: null,
  purpose_of_use: 'ETREAT',
  break_glass: true,
  organization_id: '01900000-0000-7000-8000-0000000000c1',
  facility_id: '01900000-0000-7000-8000-0000000000f1',
  session_id: '01900000-0000-7000-8000-0000000000d1',
  client_ip: '10.1.2.3',
  user_agent: 'Mozilla/5.0',
  source_system: 'lab-a',
  request_id: 'req-0001',
  query: null,
  details: { reason_text_length: 12 },
};

type Json = Record<string, unknown>;
const ext = (list: unknown, url: string) => (list as Json[]).find((e) => e.url === url);

test('a read by a person maps onto a BALP-style FHIR R4 AuditEvent', () => {
  const e = toFhirAuditEvent(ROW) as Json;
  assert.equal(e.resourceType, 'AuditEvent');
  assert.equal(e.id, ROW.id);
  assert.deepEqual(e.type, { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'RESTful Operation' });
  assert.deepEqual(e.subtype, [{ system: 'urn:vigil:audit-action', code: 'patient.read' }]);
  assert.equal(e.action, 'R');
  assert.equal(e.recorded, '2026-03-04T05:06:07.089Z');
  assert.equal(e.outcome, '0');
  assert.deepEqual(e.purposeOfEvent, [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'ETREAT' }] }]);
  assert.deepEqual(ext(e.extension, EXT.breakGlass), { url: EXT.breakGlass, valueBoolean: true });
  assert.deepEqual(ext(e.extension, EXT.requestId), { url: EXT.requestId, valueString: 'req-0001' });
  assert.deepEqual(ext(e.extension, EXT.sourceSystem), { url: EXT.sourceSystem, valueString: 'lab-a' });
  assert.deepEqual(ext(e.extension, EXT.details), { url: EXT.details, valueString: '{"reason_text_length":12}' });

  const [agent] = e.agent as Json[];
  assert.deepEqual(agent!.who, { reference: 'Practitioner/01900000-0000-7000-8000-0000000000b1', display: 'dr.ng' });
  assert.equal(agent!.requestor, true);
  assert.deepEqual(agent!.role, [{ coding: [{ system: 'urn:vigil:role', code: 'physician' }] }]);
  assert.deepEqual(agent!.network, { address: '10.1.2.3', type: '2' });
  assert.deepEqual(agent!.policy, ['urn:uuid:01900000-0000-7000-8000-0000000000d1']);
  assert.deepEqual(agent!.location, { reference: 'Location/01900000-0000-7000-8000-0000000000f1' });
  assert.deepEqual(ext(agent!.extension, EXT.onBehalfOf), { url: EXT.onBehalfOf, valueReference: { reference: 'Practitioner/01900000-0000-7000-8000-0000000000b9' } });
  assert.equal((e.source as Json).site, 'Vigil');
  assert.deepEqual((e.source as Json).observer, { display: 'Vigil' });

  // The patient appears once, with the Patient object role, even though it is also the resource read.
  const entities = e.entity as Json[];
  assert.equal(entities.length, 1);
  assert.deepEqual(entities[0]!.what, { reference: `Patient/${PATIENT}` });
  assert.deepEqual(entities[0]!.role, { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '1', display: 'Patient' });
});

test('outcomes map to 0, 4 and 8 with the reason in outcomeDesc; clients are devices; searches carry their query', () => {
  const denied = toFhirAuditEvent({ ...ROW, outcome: 'denied', reason_code: 'not-in-care-team' }) as Json;
  assert.equal(denied.outcome, '4');
  assert.equal(denied.outcomeDesc, 'denied: not-in-care-team');
  assert.equal((toFhirAuditEvent({ ...ROW, outcome: 'error' }) as Json).outcome, '8');

  const search = toFhirAuditEvent({
    ...ROW,
    action: 'observation.search',
    action_code: 'E',
    resource_type: 'Observation',
    resource_ids: ['o1', 'o2'],
    actor_type: 'client',
    actor_id: 'lab-client-1',
    actor_name: null,
    actor_roles: [],
    query: { patient: PATIENT, code: '2345-7' },
  }) as Json;
  const [agent] = search.agent as Json[];
  assert.deepEqual(agent!.who, { reference: 'Device/lab-client-1' });
  const entities = search.entity as Json[];
  assert.deepEqual(entities.map((x) => (x.what as Json | undefined)?.reference ?? 'query'), [`Patient/${PATIENT}`, 'Observation/o1', 'Observation/o2', 'query']);
  const query = entities[3]!;
  assert.equal((query.role as Json).code, '24');
  assert.equal(Buffer.from(query.query as string, 'base64').toString('utf8'), `{"code":"2345-7","patient":"${PATIENT}"}`);
});

test('the mapping is the same from a row and from its record, and deterministic', () => {
  const record: AuditRecord = recordFromRow(ROW);
  assert.equal(canonicalJson(toFhirAuditEvent(ROW)), canonicalJson(toFhirAuditEvent(record)));
  assert.equal(canonicalJson(toFhirAuditEvent(record)), canonicalJson(toFhirAuditEvent(JSON.parse(JSON.stringify(record)) as AuditRecord)));
  const anonymous = toFhirAuditEvent({ ...record, actor_type: 'anonymous', actor_id: null, actor_name: null, actor_roles: [], session_id: null, client_ip: null }) as Json;
  assert.deepEqual((anonymous.agent as Json[])[0]!.who, { display: 'anonymous' });
  assert.equal((anonymous.agent as Json[])[0]!.requestor, true);
  // Built with sorted keys, so the verifier's fast path (plain JSON.stringify) writes the canonical bytes.
  for (const e of [toFhirAuditEvent(ROW), anonymous, toFhirAuditEvent({ ...record, outcome: 'denied', reason_code: 'x', query: { b: 1, a: 2 }, actor_type: 'client' })]) {
    assert.ok(hasCanonicalKeyOrder(e), 'every object of the mapping has its keys in sorted order');
  }
});
