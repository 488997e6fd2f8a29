import type { FactKind } from '../../../model/clinical.ts';
import type { FactLinks, StoredFact } from '../stored-fact.ts';
import { toAllergyIntolerance } from './allergy-intolerance.ts';
import { toCondition } from './condition.ts';
import { toDiagnosticReport } from './diagnostic-report.ts';
import { toDocumentReference } from './document-reference.ts';
import { toMedicationAdministration, toMedicationDispense, toMedicationRequest, toMedicationStatement } from './medications.ts';
import { toObservation } from './observation.ts';
import type { FhirResource } from './types.ts';

export { toEncounter } from './encounter.ts';
export { toProvenance, type ProvenanceTarget } from './provenance.ts';
export type { FhirResource } from './types.ts';

const MAPPERS: Record<FactKind, (fact: StoredFact, links: FactLinks) => FhirResource> = {
  observation: toObservation,
  'diagnostic-report': toDiagnosticReport,
  'medication-request': toMedicationRequest,
  'medication-administration': toMedicationAdministration,
  'medication-statement': toMedicationStatement,
  'medication-dispense': toMedicationDispense,
  allergy: toAllergyIntolerance,
  condition: toCondition,
  document: toDocumentReference,
};

/** A stored fact as the FHIR R4 resource of its kind. */
export function toFhir(fact: StoredFact, links: FactLinks = {}): FhirResource {
  return MAPPERS[fact.kind](fact, links);
}
