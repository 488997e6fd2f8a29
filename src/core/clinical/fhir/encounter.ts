import { ACT_CODE_SYSTEM } from '../../../model/clinical.ts';
import type { StoredEncounter } from '../stored-fact.ts';
import { instant, ref } from './common.ts';
import type { Coding, FhirResource } from './types.ts';

/** FHIR Encounter.status ↔ the four statuses the encounters table keeps. */
export const STORED_TO_FHIR_STATUS: Record<StoredEncounter['status'], string> = { planned: 'planned', active: 'in-progress', finished: 'finished', cancelled: 'cancelled' };

const CLASSES: Record<string, Coding> = {
  inpatient: { system: ACT_CODE_SYSTEM, code: 'IMP', display: 'inpatient encounter' },
  outpatient: { system: ACT_CODE_SYSTEM, code: 'AMB', display: 'ambulatory' },
  emergency: { system: ACT_CODE_SYSTEM, code: 'EMER', display: 'emergency' },
  preadmit: { system: ACT_CODE_SYSTEM, code: 'PRENC', display: 'pre-admission' },
};

/**
 * An encounter as a FHIR R4 Encounter. Encounters are updated in place (no versions kept), so meta carries
 * lastUpdated but no versionId.
 */
export function toEncounter(e: StoredEncounter): FhirResource {
  const out: FhirResource = { resourceType: 'Encounter', id: e.id, meta: { lastUpdated: e.updatedAt.toISOString(), ...(e.sourceName ? { source: `urn:vigil:source:${e.sourceName}` } : {}) } };
  if (e.sourceKey && e.sourceName) out.identifier = [{ system: `urn:vigil:source:${e.sourceName}:visit`, value: e.sourceKey }];
  out.status = STORED_TO_FHIR_STATUS[e.status] ?? 'unknown';
  // Encounter.class is an extensible binding: classes without a v3 code keep Vigil's own.
  out.class = CLASSES[e.class] ?? { system: 'urn:vigil:fhir:CodeSystem/encounter-class', code: e.class };
  out.subject = ref('Patient', e.patientId);
  const start = instant(e.startsAt);
  const end = instant(e.endsAt);
  if (start || end) out.period = { ...(start ? { start } : {}), ...(end ? { end } : {}) };
  if (e.location) out.location = [{ location: { display: e.location } }];
  if (e.facilityId) out.serviceProvider = ref('Organization', e.facilityId);
  return out;
}
