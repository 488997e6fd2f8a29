import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PATIENT_FIELD_GROUPS } from '../../controls/access/policy.ts';
import { projectPatient, toFhirPatient, type PatientRow } from './fhir-patient.ts';

const row = (merged: string | null): PatientRow => ({
  id: '01890000-0000-7000-8000-000000000001',
  family_name: 'Doe',
  given_names: 'Jan',
  birth_date: '1970-01-01',
  sex: 'female',
  phone: null,
  address_line: null,
  address_city: null,
  address_postal_code: null,
  payer_name: null,
  payer_member_id: null,
  security_labels: [],
  managing_facility_id: null,
  merged_into: merged,
  demographics_source_time: null,
  created_at: new Date(0),
  updated_at: new Date(0),
});

test('a merged patient says so: inactive, replaced by the survivor, and the identity fields carry it', () => {
  const survivor = '01890000-0000-7000-8000-000000000002';
  const merged = projectPatient(toFhirPatient(row(survivor), []), PATIENT_FIELD_GROUPS.identity);
  assert.equal(merged.active, false);
  assert.deepEqual(merged.link, [{ other: { reference: `Patient/${survivor}` }, type: 'replaced-by' }]);
  const live = toFhirPatient(row(null), []);
  assert.equal('active' in live || 'link' in live, false, 'a live patient carries neither');
});
