import type { FhirPatient } from '../../api/types.ts';

/** Reading the FHIR Patient the server sent. Nothing here adds a field the server left out. */
export const MRN_SYSTEMS: Record<string, string> = {
  'urn:oid:2.16.840.1.113883.19.5': 'MRN',
};
export const PAYER_EXTENSION = 'urn:vigil:fhir:StructureDefinition/payer';

export function identifierLabel(system: string | undefined): string {
  if (!system) return 'Identifier';
  return MRN_SYSTEMS[system] ?? 'Identifier';
}

/** "Family, Given Middle" as on a wristband; "Name withheld" when the server sent no name. */
export function displayName(patient: FhirPatient): string {
  const name = patient.name?.find((n) => n.use === 'official') ?? patient.name?.[0];
  if (!name) return 'Name withheld';
  const given = (name.given ?? []).join(' ');
  if (name.family && given) return `${name.family}, ${given}`;
  return name.family ?? given ?? 'Name withheld';
}

export function primaryIdentifier(patient: FhirPatient): { label: string; value: string } | undefined {
  const ids = patient.identifier ?? [];
  const mrn = ids.find((i) => i.system && MRN_SYSTEMS[i.system]) ?? ids[0];
  return mrn?.value ? { label: identifierLabel(mrn.system), value: mrn.value } : undefined;
}

const GENDERS: Record<string, string> = { female: 'Female', male: 'Male', other: 'Other', unknown: 'Unknown' };
export function genderText(gender: string | undefined): string | undefined {
  return gender ? (GENDERS[gender] ?? gender) : undefined;
}

export function payerOf(patient: FhirPatient): { name?: string; memberId?: string } | undefined {
  const ext = patient.extension?.find((e) => e.url === PAYER_EXTENSION);
  if (!ext) return undefined;
  const part = (url: string) => ext.extension?.find((e) => e.url === url)?.valueString;
  const name = part('name');
  const memberId = part('memberId');
  return { ...(name ? { name } : {}), ...(memberId ? { memberId } : {}) };
}

export function securityLabels(patient: FhirPatient): string[] {
  return (patient.meta?.security ?? []).map((c) => c.code ?? '').filter(Boolean);
}

export function facilityIdOf(patient: FhirPatient): string | undefined {
  const ref = patient.managingOrganization?.reference;
  return ref?.startsWith('Organization/') ? ref.slice('Organization/'.length) : ref;
}
