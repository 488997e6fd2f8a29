import type { ObservationBody } from '../../../model/clinical.ts';
import { OBSERVATION_CATEGORY_SYSTEM } from '../../../model/observation-category.ts';
import type { StoredFact } from '../stored-fact.ts';
import { allowed, bodyOf, conceptOf, dateTimeOf, encounterOf, factCode, factMeta, quantity, ref } from './common.ts';
import type { FhirResource } from './types.ts';

const STATUSES = ['registered', 'preliminary', 'final', 'amended', 'corrected', 'cancelled', 'entered-in-error', 'unknown'] as const;
const INTERPRETATION_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';

/** An observation fact as a FHIR R4 Observation. */
export function toObservation(fact: StoredFact): FhirResource {
  const body = bodyOf<ObservationBody>(fact);
  const out: FhirResource = {
    resourceType: 'Observation',
    id: fact.id,
    meta: factMeta(fact),
    status: allowed(fact.status, STATUSES, 'unknown'),
    ...(body.category ? { category: [{ coding: [{ system: OBSERVATION_CATEGORY_SYSTEM, code: body.category }] }] } : {}),
    code: factCode(fact),
    subject: ref('Patient', fact.patientId),
    ...encounterOf(fact, 'encounter'),
  };
  if (fact.effectiveAt) out.effectiveDateTime = fact.effectiveAt.toISOString();
  Object.assign(out, valueOf(body));
  if (body.interpretation) out.interpretation = [{ coding: [{ system: INTERPRETATION_SYSTEM, code: body.interpretation }] }];
  if (body.note) out.note = [{ text: body.note }];
  if (body.referenceRange) out.referenceRange = [{ text: body.referenceRange }];
  return out;
}

function valueOf(body: ObservationBody): Record<string, unknown> {
  const v = body.value;
  if (!v) return {};
  switch (v.type) {
    case 'quantity':
      return { valueQuantity: quantity(v.quantity, v.comparator) };
    case 'string':
      return { valueString: v.text };
    case 'concept':
      return { valueCodeableConcept: conceptOf(v.concept) };
    case 'datetime':
      return { valueDateTime: dateTimeOf(v.time) };
  }
}
