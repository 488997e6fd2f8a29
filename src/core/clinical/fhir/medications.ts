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

function head(fact: StoredFact, resourceType: string): FhirResource {
  return { resourceType, id: fact.id, meta: factMeta(fact) };
}

export function toMedicationRequest(fact: StoredFact): FhirResource {
  const body = bodyOf<MedicationBody>(fact);
  const out = head(fact, 'MedicationRequest');
  out.status = allowed(fact.status, REQUEST_STATUSES, 'unknown');
  out.intent = 'order';
  out.medicationCodeableConcept = factCode(fact);
  out.subject = ref('Patient', fact.patientId);
  Object.assign(out, encounterOf(fact, 'encounter'));
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
  const out = head(fact, 'MedicationAdministration');
  out.status = allowed(fact.status, ADMINISTRATION_STATUSES, 'unknown');
  out.medicationCodeableConcept = factCode(fact);
  out.subject = ref('Patient', fact.patientId);
  Object.assign(out, encounterOf(fact, 'context'));
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
  const out = head(fact, 'MedicationStatement');
  out.status = allowed(fact.status, STATEMENT_STATUSES, 'unknown');
  out.medicationCodeableConcept = factCode(fact);
  out.subject = ref('Patient', fact.patientId);
  Object.assign(out, encounterOf(fact, 'context'));
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
  const out = head(fact, 'MedicationDispense');
  out.status = allowed(fact.status, DISPENSE_STATUSES, 'unknown');
  out.medicationCodeableConcept = factCode(fact);
  out.subject = ref('Patient', fact.patientId);
  Object.assign(out, encounterOf(fact, 'context'));
  if (links.requestId) out.authorizingPrescription = [ref('MedicationRequest', links.requestId)];
  const amount = quantity(body.quantity);
  if (amount) out.quantity = amount;
  if (fact.effectiveAt) out.whenHandedOver = fact.effectiveAt.toISOString();
  const instruction = dosage(body.dosage);
  if (instruction) out.dosageInstruction = [instruction];
  return out;
}
