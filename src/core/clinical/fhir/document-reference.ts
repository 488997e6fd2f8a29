import type { DocumentBody } from '../../../model/clinical.ts';
import type { StoredFact } from '../stored-fact.ts';
import { allowed, bodyOf, factCode, factMeta, ref } from './common.ts';
import type { FhirResource } from './types.ts';

const STATUSES = ['current', 'superseded', 'entered-in-error'] as const;

/**
 * A document fact as a FHIR R4 DocumentReference. The content stays encrypted under the patient's key and is not
 * inlined: the attachment describes it (type, size, title) and, when Vigil stores it, points at `Binary/{id}`, which
 * is decided and audited like this read. A document withdrawn as entered in error has no content to point at.
 */
export function toDocumentReference(fact: StoredFact): FhirResource {
  const body = bodyOf<DocumentBody>(fact);
  const out: FhirResource = { resourceType: 'DocumentReference', id: fact.id, meta: factMeta(fact) };
  out.status = allowed(fact.status, STATUSES, 'current');
  out.type = factCode(fact);
  out.subject = ref('Patient', fact.patientId);
  if (fact.effectiveAt) out.date = fact.effectiveAt.toISOString();
  if (body.docStatus) out.docStatus = body.docStatus;
  if (body.title) out.description = body.title;
  const url = body.digest && fact.status !== 'entered-in-error' ? { url: `Binary/${fact.id}` } : {};
  out.content = [{ attachment: { ...(body.contentType ? { contentType: body.contentType } : {}), ...url, ...(body.size !== undefined ? { size: body.size } : {}), ...(body.title ? { title: body.title } : {}) } }];
  if (fact.encounterId) out.context = { encounter: [ref('Encounter', fact.encounterId)] };
  return out;
}
