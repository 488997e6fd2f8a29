import { securityLabelCoding } from '../../controls/access/policy.ts';
import type { PatientsTable } from '../../store/schema.ts';
import type { Selectable } from 'kysely';

/** A stored patient as a FHIR R4 Patient, then cut down to the fields a decision allows (minimum necessary). */
export type PatientRow = Selectable<PatientsTable>;
export interface IdentifierRow {
  system: string;
  value: string;
}

export type FhirPatient = { resourceType: 'Patient'; id: string } & Record<string, unknown>;

export function toFhirPatient(row: PatientRow, identifiers: readonly IdentifierRow[]): FhirPatient {
  const resource: FhirPatient = { resourceType: 'Patient', id: row.id };
  if (row.security_labels.length > 0) resource.meta = { security: row.security_labels.map(securityLabelCoding) };
  if (identifiers.length > 0) resource.identifier = identifiers.map((i) => ({ system: i.system, value: i.value }));
  if (row.family_name || row.given_names) {
    resource.name = [{ use: 'official', ...(row.family_name ? { family: row.family_name } : {}), ...(row.given_names ? { given: row.given_names.split(/\s+/).filter(Boolean) } : {}) }];
  }
  if (row.birth_date) resource.birthDate = row.birth_date;
  if (row.sex) resource.gender = row.sex;
  if (row.phone) resource.telecom = [{ system: 'phone', value: row.phone }];
  if (row.address_line || row.address_city || row.address_postal_code) {
    resource.address = [{ ...(row.address_line ? { line: [row.address_line] } : {}), ...(row.address_city ? { city: row.address_city } : {}), ...(row.address_postal_code ? { postalCode: row.address_postal_code } : {}) }];
  }
  // A patient merged into another (a source's A40, an identity operator's link) is kept for its history; FHIR says so
  // with `active: false` and a `replaced-by` link, as a client following an old reference needs to learn.
  if (row.merged_into) {
    resource.active = false;
    resource.link = [{ other: { reference: `Patient/${row.merged_into}` }, type: 'replaced-by' }];
  }
  if (row.managing_facility_id) resource.managingOrganization = { reference: `Organization/${row.managing_facility_id}` };
  if (row.payer_name || row.payer_member_id) {
    resource.payer = { ...(row.payer_name ? { name: row.payer_name } : {}), ...(row.payer_member_id ? { memberId: row.payer_member_id } : {}) };
  }
  return resource;
}

/** Keeps only allowed top-level fields; `resourceType` and `id` always stay so a client can tell what it holds. */
export function projectPatient(resource: FhirPatient, fields: readonly string[]): FhirPatient {
  const out: FhirPatient = { resourceType: 'Patient', id: resource.id };
  for (const key of fields) if (key in resource && key !== 'id') out[key] = resource[key];
  // `payer` is not a FHIR Patient element; it travels as an extension so stock FHIR clients accept the resource.
  if (out.payer) {
    const payer = out.payer as { name?: string; memberId?: string };
    delete out.payer;
    out.extension = [
      {
        url: 'urn:vigil:fhir:StructureDefinition/payer',
        extension: [...(payer.name ? [{ url: 'name', valueString: payer.name }] : []), ...(payer.memberId ? [{ url: 'memberId', valueString: payer.memberId }] : [])],
      },
    ];
  }
  return out;
}
