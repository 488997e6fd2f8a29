import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decide, type PatientRelation } from './pdp.ts';
import { permissionsOf, ROLES, ROLE_GRANTS, ACTIONS, CHART_TYPES } from './policy.ts';
import type { ClientSubject, PersonSubject } from './subject.ts';

const NORTH = 'f-north';
const SOUTH = 'f-south';

function person(roles: string[], facilities = [NORTH]): PersonSubject {
  return { kind: 'person', id: 'p1', username: 'p1', displayName: 'P One', roles, organizationId: 'o1', facilityIds: facilities, sessionId: 's1', sessionKind: 'api', mfaAt: null };
}

function patient(overrides: Partial<PatientRelation> = {}): PatientRelation {
  return { patientId: 'pt1', exists: true, securityLabels: [], facilityIds: [NORTH], activeEncounterFacilityIds: [NORTH], inCare: true, coverage: 'none', breakGlass: null, ...overrides };
}

const client = (scopes: string[]): ClientSubject => ({ kind: 'client', id: 'lab-1', name: 'Lab', scopes });

test('deny by default: an action the policy does not name is refused for everyone', () => {
  for (const role of ROLES) assert.equal(decide({ subject: person([role]), action: 'patient.delete-everything', patient: patient() }).reason, 'deny-unknown-action');
  assert.equal(decide({ subject: client(['system/Patient.read']), action: 'nope' }).permit, false);
});

test('a person with no roles may do nothing, not even read their own account', () => {
  for (const action of Object.keys(ACTIONS)) assert.equal(decide({ subject: person([]), action, patient: patient() }).permit, false, action);
});

test('the policy only grants actions it defines', () => {
  for (const role of ROLES) for (const grant of ROLE_GRANTS[role]) for (const action of grant.actions) assert.ok(action in ACTIONS, `${role}: ${action}`);
  assert.deepEqual(permissionsOf(['support-staff']).filter((a) => a.startsWith('patient') || a.startsWith('chart')), []);
});

test('clients get exactly their scopes, on any patient, with identity and contact fields only', () => {
  const d = decide({ subject: client(['system/Patient.read']), action: 'patient.read', patient: patient({ inCare: false }) });
  assert.equal(d.permit, true);
  assert.equal(d.revealsExistence, true);
  assert.ok(d.patientFields.includes('name') && !d.patientFields.includes('payer'));
  assert.equal(decide({ subject: client(['system/Patient.read']), action: 'chart.read', patient: patient() }).reason, 'deny-scope');
  assert.equal(decide({ subject: client([]), action: 'patient.read', patient: patient() }).reason, 'deny-scope');
});

test('a client reads only the chart types its scopes name; a whole chart needs them all or system/*.read', () => {
  const orders = client(['system/MedicationRequest.read']);
  const chart = (subject: ClientSubject, resourceType?: string) => decide({ subject, action: 'chart.read', patient: patient(), ...(resourceType ? { resourceType } : {}) }).reason;
  assert.equal(chart(orders, 'MedicationRequest'), 'permit-system-scope');
  for (const type of ['Condition', 'AllergyIntolerance', 'Encounter', 'DocumentReference', 'Observation', 'Provenance']) assert.equal(chart(orders, type), 'deny-scope', type);
  assert.equal(chart(orders, 'Patient'), 'deny-scope', 'Patient/$everything is the whole chart');
  assert.equal(chart(orders), 'permit-system-scope', 'past the gate, the per-patient decision needs only some chart scope');
  const every = client(CHART_TYPES.map((type) => `system/${type}.read`));
  assert.equal(chart(every, 'Patient'), 'permit-system-scope');
  assert.equal(chart(client(['system/*.read']), 'Resource'), 'permit-system-scope');
  const results = client(['system/Observation.read']);
  assert.equal(decide({ subject: results, action: 'result.view-final', patient: patient() }).permit, true);
  assert.equal(chart(results, 'Observation'), 'permit-system-scope');
  assert.equal(chart(results, 'MedicationRequest'), 'deny-scope');
});

test('minimum necessary: billing sees payer and no labels; clinicians see labels and no payer; privacy officers identity only', () => {
  const billing = decide({ subject: person(['billing-specialist']), action: 'patient.read', patient: patient({ inCare: false }) });
  assert.ok(billing.patientFields.includes('payer') && !billing.patientFields.includes('meta'));
  const nurse = decide({ subject: person(['nurse']), action: 'patient.read', patient: patient() });
  assert.ok(nurse.patientFields.includes('meta') && !nurse.patientFields.includes('payer'));
  const privacy = decide({ subject: person(['privacy-officer']), action: 'patient.read', patient: patient() });
  assert.deepEqual([...privacy.patientFields].sort(), ['active', 'birthDate', 'gender', 'id', 'identifier', 'link', 'managingOrganization', 'name']);
});

test('a label the policy does not know is closed to everyone with a care relation', () => {
  assert.equal(decide({ subject: person(['physician', 'behavioral-health']), action: 'chart.read', patient: patient({ securityLabels: ['NEWLABEL'] }) }).reason, 'deny-sensitive-label');
});

test('break-glass lifts the care relation and the facility, not the security labels, and is flagged', () => {
  const grant = { grantId: 'g1', expiresAt: new Date(Date.now() + 60_000) };
  const outside = patient({ inCare: false, facilityIds: [SOUTH], activeEncounterFacilityIds: [SOUTH], breakGlass: grant });
  const read = decide({ subject: person(['nurse']), action: 'chart.read', patient: outside });
  assert.deepEqual([read.permit, read.reason, read.breakGlass, read.breakGlassGrantId], [true, 'permit-break-glass', true, 'g1']);
  // The emergency may need orders: an active encounter anywhere is enough under break-glass.
  assert.equal(decide({ subject: person(['physician']), action: 'medication.sign', patient: outside }).permit, true);
  assert.equal(decide({ subject: person(['physician']), action: 'chart.read', patient: { ...outside, securityLabels: ['SUD'] } }).reason, 'deny-sensitive-label');
  // Billing holds no break-glass permission: a grant row alone (however it got there) opens nothing beyond its reach.
  assert.equal(decide({ subject: person(['billing-specialist'], [NORTH]), action: 'patient.read', patient: outside }).permit, false);
});

test('the near miss is reported: coverage that ended, a patient at another facility', () => {
  assert.equal(decide({ subject: person(['physician']), action: 'chart.read', patient: patient({ inCare: false, coverage: 'ended' }) }).reason, 'deny-coverage-ended');
  assert.equal(decide({ subject: person(['physician']), action: 'chart.read', patient: patient({ facilityIds: [SOUTH] }) }).reason, 'deny-other-facility');
  assert.equal(decide({ subject: person(['physician']), action: 'chart.read', patient: patient({ inCare: false }) }).reason, 'deny-no-care-relation');
});

test('writes that need an encounter are refused without one at the subject’s facility', () => {
  assert.equal(decide({ subject: person(['physician']), action: 'medication.sign', patient: patient({ activeEncounterFacilityIds: [] }) }).reason, 'deny-no-active-encounter');
  assert.equal(decide({ subject: person(['physician']), action: 'medication.sign', patient: patient({ activeEncounterFacilityIds: [SOUTH], facilityIds: [NORTH, SOUTH] }) }).reason, 'deny-no-active-encounter');
  assert.equal(decide({ subject: person(['physician']), action: 'note.lock', patient: patient({ activeEncounterFacilityIds: [] }) }).permit, true);
});

test('a patient that does not exist looks like one outside the care relation, except to those who may see every patient', () => {
  const missing: PatientRelation = { patientId: 'x', exists: false, securityLabels: [], facilityIds: [], activeEncounterFacilityIds: [], inCare: false, coverage: 'none', breakGlass: null };
  assert.equal(decide({ subject: person(['physician']), action: 'patient.read', patient: missing }).reason, 'deny-no-care-relation');
  assert.equal(decide({ subject: person(['privacy-officer']), action: 'patient.read', patient: missing }).revealsExistence, true);
});
