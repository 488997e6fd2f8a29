import type { MedicationBody } from '../../../model/clinical.ts';
import type { FactLinks, StoredFact } from '../stored-fact.ts';
import { allowed, bodyOf, dateTimeOf, dosage, encounterOf, factCode, factMeta, quantity, ref } from './common.ts';
import type { FhirResource, Period } from './types.ts';

/**
 * The four medication kinds as FHIR R4 resources. The medication is always a CodeableConcept (Vigil keeps no
 * Medication resources); a prescriber is known only by the source's id for them, never by name.
 */
const REQUEST_STATUSES = ['active', 'on-hold', 'cancelled', 'completed', 'entered-in-error', 'stopped', 'draft', 'unknown'] as const;
const ADMINISTRATION_STATUSES = ['in-progress', 'not-done', 'on-hold', 'completed', 'entered-in-error', 'stopped', 'unknown'] as const;
const STATEMENT_STATUSES = ['active', 'completed', 'entered-in-error', 'intended', 'stopped', 'on-hold', 'unknown', 'not-taken'] as const;
const DISPENSE_STATUSES = ['preparation', 'in-progress', 'cancelled', 'on-hold', 'completed', 'entered-in-error', 'stopped', 'declined', 'unknown'] as const;

function periodOf(body: MedicationBody): Period | undefined {
  const start = dateTimeOf(body.period?.start);
  const end = dateTimeOf(body.period?.end);
  return start || end ? { ...(start ? { start } : {}), ...(end ? { end } : {}) } : undefined;
}

/**
 * What all four resources open with. `afterStatus` lets MedicationRequest put its intent where R4 lists it, so every
 * resource keeps the element order of the specification.
 */
function medicationHead(fact: StoredFact, resourceType: string, statuses: readonly string[], encounter: 'encounter' | 'context', afterStatus: Record<string, unknown> = {}): FhirResource {
  const out: FhirResource = { resourceType, id: fact.id, meta: factMeta(fact) };
  out.status = allowed(fact.status, statuses, 'unknown');
  Object.assign(out, afterStatus);
  out.medicationCodeableConcept = factCode(fact);
  out.subject = ref('Patient', fact.patientId);
  Object.assign(out, encounterOf(fact, encounter));
  return out;
}

export function toMedicationRequest(fact: StoredFact): FhirResource {
  const body = bodyOf<MedicationBody>(fact);
  const out = medicationHead(fact, 'MedicationRequest', REQUEST_STATUSES, 'encounter', { intent: 'order' });
  if (fact.effectiveAt) out.authoredOn = fact.effectiveAt.toISOString();
  if (body.prescriber) out.requester = { type: 'Practitioner', identifier: { value: body.prescriber } };
  const instruction = dosage(body.dosage);
  if (instruction) out.dosageInstruction = [instruction];
  const validity = periodOf(body);
  const amount = quantity(body.quantity);
  if (validity || amount) out.dispenseRequest = { ...(validity ? { validityPeriod: validity } : {}), ...(amount ? { quantity: amount } : {}) };
  return out;
}

export function toMedicationAdministration(fact: StoredFact, links: FactLinks = {}): FhirResource {
  const body = bodyOf<MedicationBody>(fact);
  const out = medicationHead(fact, 'MedicationAdministration', ADMINISTRATION_STATUSES, 'context');
  // effective[x] is required: the period when the source gave an end, else the moment given, else the source time.
  const period = periodOf(body);
  if (period?.end) out.effectivePeriod = { start: period.start ?? fact.effectiveAt?.toISOString(), end: period.end };
  else out.effectiveDateTime = (fact.effectiveAt ?? fact.sourceTime ?? fact.lastUpdated).toISOString();
  if (links.requestId) out.request = ref('MedicationRequest', links.requestId);
  const given = body.dosage;
  const dose = quantity(given?.dose);
  const route = given?.route ? dosage({ route: given.route })?.route : undefined;
  if (dose || route || given?.text) out.dosage = { ...(given?.text ? { text: given.text } : {}), ...(route ? { route } : {}), ...(dose ? { dose } : {}) };
  return out;
}

export function toMedicationStatement(fact: StoredFact): FhirResource {
  const body = bodyOf<MedicationBody>(fact);
  const out = medicationHead(fact, 'MedicationStatement', STATEMENT_STATUSES, 'context');
  const period = periodOf(body);
  if (period) out.effectivePeriod = period;
  else if (fact.effectiveAt) out.effectiveDateTime = fact.effectiveAt.toISOString();
  if (fact.sourceTime) out.dateAsserted = fact.sourceTime.toISOString();
  const taken = dosage(body.dosage);
  if (taken) out.dosage = [taken];
  return out;
}

export function toMedicationDispense(fact: StoredFact, links: FactLinks = {}): FhirResource {
  const body = bodyOf<MedicationBody>(fact);
  const out = medicationHead(fact, 'MedicationDispense', DISPENSE_STATUSES, 'context');
  if (links.requestId) out.authorizingPrescription = [ref('MedicationRequest', links.requestId)];
  const amount = quantity(body.quantity);
  if (amount) out.quantity = amount;
  if (fact.effectiveAt) out.whenHandedOver = fact.effectiveAt.toISOString();
  const instruction = dosage(body.dosage);
  if (instruction) out.dosageInstruction = [instruction];
  return out;
}
