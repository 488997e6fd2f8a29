import type { PatientGroup } from '../../../model/clinical.ts';
import type { QualityFlag } from '../../../model/quality.ts';
import type { MapContext } from './context.ts';
import { mapEncounter, type VisitEvent } from './encounter.ts';
import { Hl7MappingError } from './errors.ts';
import { mapPatient } from './patient.ts';
import { patientGroups, type Located, type PatientSegments } from './segments.ts';

/** The PID groups of a message; every event Vigil maps is about a patient, so a message without a PID is refused. */
export function requirePatients(segments: readonly Located[], event: string): PatientSegments[] {
  const groups = patientGroups(segments);
  if (groups.length === 0) {
    throw Hl7MappingError.missing({ segment: 'PID' }, `the message has no PID segment; ${event} must identify the patient it is about.`);
  }
  return groups;
}

/** Patient and (when `visit` is given and a PV1 follows the PID) encounter; facts are added by the event's mapper. */
export function patientGroup(g: PatientSegments, ctx: MapContext, visit: VisitEvent | undefined, messageFlags: QualityFlag[]): PatientGroup {
  const group: PatientGroup = { patient: mapPatient(g.pid, ctx), facts: [], position: g.pid.position };
  const pv1 = visit && g.members.find((m) => m.id === 'PV1');
  if (visit && pv1) {
    const encounter = mapEncounter(pv1, visit, ctx, messageFlags);
    if (encounter) group.encounter = encounter;
  }
  return group;
}
