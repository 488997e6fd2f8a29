import type { FactKind } from '../../model/clinical.ts';

/** The FHIR resource types the clinical face serves, and which stored fact kind each one is. */
export const FACT_TYPES = {
  Observation: 'observation',
  DiagnosticReport: 'diagnostic-report',
  MedicationRequest: 'medication-request',
  MedicationAdministration: 'medication-administration',
  MedicationStatement: 'medication-statement',
  MedicationDispense: 'medication-dispense',
  AllergyIntolerance: 'allergy',
  Condition: 'condition',
  DocumentReference: 'document',
} as const satisfies Record<string, FactKind>;

export type FactType = keyof typeof FACT_TYPES;
/** Encounters live in their own table (the directory writes them too), so they are not a fact type. */
export type ClinicalType = FactType | 'Encounter';

export const CLINICAL_TYPES: readonly ClinicalType[] = ['Encounter', ...(Object.keys(FACT_TYPES) as FactType[])];

export function isFactType(type: string): type is FactType {
  return Object.hasOwn(FACT_TYPES, type);
}

const TYPE_OF_KIND = new Map<FactKind, FactType>(Object.entries(FACT_TYPES).map(([type, kind]) => [kind, type as FactType]));

export function typeOfKind(kind: FactKind): FactType {
  return TYPE_OF_KIND.get(kind)!;
}
