import type { AllergyBody } from '../../../model/clinical.ts';
import type { StoredFact } from '../stored-fact.ts';
import { bodyOf, encounterOf, factCode, factMeta, ref } from './common.ts';
import { clinicalAndVerification } from './clinical-status.ts';
import type { FhirResource } from './types.ts';

const CLINICAL = { system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', codes: ['active', 'inactive', 'resolved'] };
const VERIFICATION = { system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification', codes: ['unconfirmed', 'confirmed', 'refuted', 'entered-in-error'] };

/** An allergy fact as a FHIR R4 AllergyIntolerance (the reaction is the source's text: it is not coded). */
export function toAllergyIntolerance(fact: StoredFact): FhirResource {
  const body = bodyOf<AllergyBody>(fact);
  const out: FhirResource = { resourceType: 'AllergyIntolerance', id: fact.id, meta: factMeta(fact), ...clinicalAndVerification(fact.status, CLINICAL, VERIFICATION) };
  if (body.category) out.category = [body.category];
  if (body.criticality) out.criticality = body.criticality;
  out.code = factCode(fact);
  out.patient = ref('Patient', fact.patientId);
  Object.assign(out, encounterOf(fact, 'encounter'));
  if (fact.effectiveAt) out.recordedDate = fact.effectiveAt.toISOString();
  // R4 needs a manifestation for a reaction, so a graded severity is served only beside the reaction's text.
  if (body.reaction) out.reaction = [{ manifestation: [{ text: body.reaction }], ...(body.severity ? { severity: body.severity } : {}) }];
  return out;
}
