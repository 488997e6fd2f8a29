import type { ConditionBody } from '../../../model/clinical.ts';
import type { StoredFact } from '../stored-fact.ts';
import { bodyOf, dateTimeOf, encounterOf, factCode, factMeta, ref } from './common.ts';
import { clinicalAndVerification } from './clinical-status.ts';
import type { FhirResource } from './types.ts';

const CLINICAL = { system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', codes: ['active', 'recurrence', 'relapse', 'inactive', 'remission', 'resolved'] };
const VERIFICATION = { system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', codes: ['unconfirmed', 'provisional', 'differential', 'confirmed', 'refuted', 'entered-in-error'] };
const CATEGORY_SYSTEM = 'http://terminology.hl7.org/CodeSystem/condition-category';

/** A condition fact (problem list item or encounter diagnosis) as a FHIR R4 Condition. */
export function toCondition(fact: StoredFact): FhirResource {
  const body = bodyOf<ConditionBody>(fact);
  const out: FhirResource = { resourceType: 'Condition', id: fact.id, meta: factMeta(fact), ...clinicalAndVerification(fact.status, CLINICAL, VERIFICATION) };
  if (body.category) out.category = [{ coding: [{ system: CATEGORY_SYSTEM, code: body.category }] }];
  out.code = factCode(fact);
  out.subject = ref('Patient', fact.patientId);
  Object.assign(out, encounterOf(fact, 'encounter'));
  const onset = dateTimeOf(body.onset);
  if (onset) out.onsetDateTime = onset;
  const abatement = dateTimeOf(body.abatement);
  if (abatement) out.abatementDateTime = abatement;
  if (fact.effectiveAt) out.recordedDate = fact.effectiveAt.toISOString();
  return out;
}
