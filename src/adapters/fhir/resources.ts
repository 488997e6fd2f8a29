import { allergyMapper } from './allergy.ts';
import { conditionMapper } from './condition.ts';
import type { ResourceMapper } from './context.ts';
import { diagnosticReportMapper } from './diagnostic-report.ts';
import { documentMapper } from './document.ts';
import { MEDICATION_TYPES, medicationMapper } from './medication.ts';
import { observationMapper } from './observation.ts';

/** Resource types that become facts, by the mapper that reads them. */
export const FACT_MAPPERS: Readonly<Record<string, ResourceMapper>> = {
  Observation: observationMapper,
  DiagnosticReport: diagnosticReportMapper,
  ...Object.fromEntries(MEDICATION_TYPES.map((t) => [t, medicationMapper(t)])),
  AllergyIntolerance: allergyMapper,
  Condition: conditionMapper,
  DocumentReference: documentMapper,
};

const DIRECTORY = 'People, organizations and places come from the Vigil directory, not from clinical feeds.';
const FINANCIAL = 'Vigil keeps no billing or coverage data.';
const NO_FACT_KIND = 'The normalized model has no fact kind for this resource type yet.';

/** Why a resource type is not mapped, for the entry result; a type not listed gets the general reason. */
const NOT_MAPPED: Readonly<Record<string, string>> = {
  Medication: 'A Medication is read as the drug of the medication resources that reference it, not on its own.',
  Practitioner: DIRECTORY,
  PractitionerRole: DIRECTORY,
  Organization: DIRECTORY,
  Location: DIRECTORY,
  Claim: FINANCIAL,
  ClaimResponse: FINANCIAL,
  ExplanationOfBenefit: FINANCIAL,
  Coverage: FINANCIAL,
  Immunization: NO_FACT_KIND,
  Procedure: NO_FACT_KIND,
  CarePlan: NO_FACT_KIND,
  ServiceRequest: NO_FACT_KIND,
  Specimen: NO_FACT_KIND,
};

export function notMappedReason(type: string): string {
  return NOT_MAPPED[type] ?? 'Vigil does not map this resource type.';
}
