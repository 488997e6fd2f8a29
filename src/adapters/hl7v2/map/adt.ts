import { addClinicalSegments } from './clinical-segments.ts';
import type { EventInput, EventOutput } from './context.ts';
import type { VisitEvent } from './encounter.ts';
import { patientGroup, requirePatients } from './group.ts';
import { flag } from './segments.ts';

/**
 * ADT events about one patient: the PID becomes a patient record and, for events about a visit, the PV1 an encounter.
 * `visit` is undefined for A28/A31 (person information only: their PV1, if any, describes no real visit).
 * ADT messages carry one PID; any further PID is flagged `segment-ignored`, never silently merged into the first.
 * AL1 (allergies), IAM (A60) and DG1 (diagnoses) after the PID become facts of the patient (clinical-segments.ts).
 * An allergy the previous message listed and this one does not is left as it was: absence is not read as removal
 * (docs/hl7v2.md, "Lists and absence").
 */
export function adtMapper(event: string, visit: VisitEvent | undefined) {
  return (input: EventInput): EventOutput => {
    const [first, ...others] = requirePatients(input.segments, event);
    for (const extra of others) flag(input.flags, 'segment-ignored', extra.pid.position);
    const group = patientGroup(first!, input.ctx, visit, input.flags);
    addClinicalSegments(group, first!.members, input);
    return { groups: [group], merges: [] };
  };
}
