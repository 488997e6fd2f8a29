import type { PatientGroup } from '../../../model/clinical.ts';
import { mapAl1, mapIam } from './allergies.ts';
import type { EventInput, EventOutput } from './context.ts';
import { mapDg1 } from './diagnoses.ts';
import { patientGroups, type Located } from './segments.ts';

/**
 * Allergies (AL1, IAM) and diagnoses (DG1) may ride along in any patient message; each becomes a fact of the patient
 * group it follows. A DG1 belongs to the visit of that group (its PV1), when the event describes one.
 */
export function addClinicalSegments(group: PatientGroup, members: readonly Located[], input: EventInput): void {
  for (const m of members) {
    if (m.id === 'AL1') group.facts.push(mapAl1(m, input.ctx, input.keys));
    else if (m.id === 'IAM') group.facts.push(mapIam(m, input.ctx, input.keys));
    else if (m.id === 'DG1') group.facts.push(mapDg1(m, input.ctx, input.keys, group.encounter?.sourceKey ?? visitNumber(members)));
  }
}

/** PV1-19 even when the event makes no encounter of it (A28/A31): diagnoses of one visit still share a key. */
function visitNumber(members: readonly Located[]): string | undefined {
  const pv1 = members.find((m) => m.id === 'PV1');
  const visit = pv1?.seg.get(19)?.trim();
  return visit ? visit : undefined;
}

/** Wraps an event mapper whose own loop ignores these segments (ORU^R01 does): adds them per patient group. */
export function withClinicalSegments(mapper: (input: EventInput) => EventOutput) {
  return (input: EventInput): EventOutput => {
    const out = mapper(input);
    const members = patientGroups(input.segments);
    out.groups.forEach((group, i) => addClinicalSegments(group, members[i]?.members ?? [], input));
    return out;
  };
}
