import type { DiagnosticReportBody } from '../../../model/clinical.ts';
import type { FactLinks, StoredFact } from '../stored-fact.ts';
import { allowed, bodyOf, encounterOf, factCode, factMeta, ref } from './common.ts';
import type { FhirResource, Identifier } from './types.ts';

const STATUSES = ['registered', 'partial', 'preliminary', 'final', 'amended', 'corrected', 'appended', 'cancelled', 'entered-in-error', 'unknown'] as const;
const SECTION_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v2-0074';
const ID_TYPE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v2-0203';

/** A report fact as a FHIR R4 DiagnosticReport; `result` lists only the observations the caller may see. */
export function toDiagnosticReport(fact: StoredFact, links: FactLinks = {}): FhirResource {
  const body = bodyOf<DiagnosticReportBody>(fact);
  const identifier: Identifier[] = [];
  if (body.placerOrder) identifier.push({ type: { coding: [{ system: ID_TYPE_SYSTEM, code: 'PLAC' }] }, value: body.placerOrder });
  if (body.fillerOrder) identifier.push({ type: { coding: [{ system: ID_TYPE_SYSTEM, code: 'FILL' }] }, value: body.fillerOrder });
  const out: FhirResource = { resourceType: 'DiagnosticReport', id: fact.id, meta: factMeta(fact) };
  if (identifier.length) out.identifier = identifier;
  out.status = allowed(fact.status, STATUSES, 'unknown');
  if (body.category) out.category = [{ coding: [{ system: SECTION_SYSTEM, code: body.category }] }];
  out.code = factCode(fact);
  out.subject = ref('Patient', fact.patientId);
  Object.assign(out, encounterOf(fact, 'encounter'));
  if (fact.effectiveAt) out.effectiveDateTime = fact.effectiveAt.toISOString();
  if (body.issued) out.issued = body.issued.instant;
  if (links.results?.length) out.result = links.results.map((id) => ref('Observation', id));
  if (body.conclusion) out.conclusion = body.conclusion;
  return out;
}
