import { recordKeyOf } from '../../source-profile.ts';
import type { MergeInput, PatientGroup } from '../../../model/clinical.ts';
import type { EventInput, EventOutput } from './context.ts';
import { Hl7MappingError } from './errors.ts';
import { patientGroup, requirePatients } from './group.ts';
import { where } from './segments.ts';

/**
 * ADT^A24 (link patient information) and ADT^A37 (unlink patient information): two PIDs, the source's records of
 * what it says is one person (A24: both records stay live, unlike a merge) or, after all, two people (A37). Each PID
 * also registers what it says of its person, as in any ADT event. The pair is named by the identifier each record is
 * filed under (the profile's record number), so the gateway finds exactly the records those PIDs made.
 */
export function linkMapper(event: 'ADT^A24' | 'ADT^A37'): (input: EventInput) => EventOutput {
  const kind = event === 'ADT^A24' ? 'link' : 'unlink';
  return (input) => {
    const pids = requirePatients(input.segments, event);
    if (pids.length !== 2) {
      const at = pids[2]?.pid ?? pids[0]!.pid;
      throw Hl7MappingError.invalid(where(at, 3), `${event} must carry exactly two PID segments (the two records to ${kind}); this message has ${pids.length}.`);
    }
    const groups: PatientGroup[] = pids.map((g) => patientGroup(g, input.ctx, undefined, input.flags));
    const [first, second] = groups.map((g, i) => {
      const key = recordKeyOf(input.ctx.profile, g.patient);
      if (!key) throw Hl7MappingError.missing(where(pids[i]!.pid, 3), `${pids[i]!.pid.position}-3 names no identifier; each record of ${event} must be identifiable.`);
      return key;
    });
    if (first!.system === second!.system && first!.value === second!.value) {
      throw Hl7MappingError.invalid(where(pids[1]!.pid, 3), `${pids[1]!.pid.position}-3 names the same record as ${pids[0]!.pid.position}-3; a record cannot be ${kind}ed with itself.`);
    }
    const pair: MergeInput = { kind, survivor: first!, retired: second!, position: pids[1]!.pid.position };
    return { groups, merges: [pair] };
  };
}
