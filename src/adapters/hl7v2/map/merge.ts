import type { Identifier, MergeInput, PatientGroup } from '../../../model/clinical.ts';
import type { QualityFlag } from '../../../model/quality.ts';
import type { EventInput, EventOutput, MapContext } from './context.ts';
import { Hl7MappingError } from './errors.ts';
import { patientGroup, requirePatients } from './group.ts';
import { identifierAt } from './identifiers.ts';
import { repetitionCount, where, type Located } from './segments.ts';

/**
 * ADT^A40 (merge patient): each PID is the record that survives, each identifier in the MRG-1 after it a record it
 * absorbs. A merge cannot be undone by the next message, so it is refused rather than guessed: the retired identifier
 * must have a known authority, and the survivor must have an identifier under an authority too.
 */
export function mapMerges(input: EventInput): EventOutput {
  const groups: PatientGroup[] = [];
  const merges: MergeInput[] = [];
  for (const g of requirePatients(input.segments, 'ADT^A40')) {
    const group = patientGroup(g, input.ctx, undefined, input.flags);
    groups.push(group);
    const mrgs = g.members.filter((m) => m.id === 'MRG');
    if (mrgs.length === 0) {
      throw Hl7MappingError.missing({ segment: 'MRG' }, `${g.pid.position} is not followed by an MRG segment; in ADT^A40 each surviving patient's PID must be followed by the MRG naming the record it absorbs.`);
    }
    for (const mrg of mrgs) {
      const retired = retiredIdentifiers(mrg, input.ctx);
      for (const r of retired) {
        const survivor = survivorFor(r, group.patient.identifiers, input.ctx, g.pid);
        if (survivor.system === r.system && survivor.value === r.value) {
          throw Hl7MappingError.invalid(where(mrg, 1), `${mrg.position}-1 names the same identifier as ${g.pid.position}-3; a record cannot be merged into itself.`);
        }
        merges.push({ survivor, retired: r, position: mrg.position });
      }
    }
  }
  return { groups, merges };
}

function retiredIdentifiers(mrg: Located, ctx: MapContext): Identifier[] {
  const out: Identifier[] = [];
  const ignored: QualityFlag[] = [];
  for (let rep = 1; rep <= repetitionCount(mrg.seg, 1); rep++) {
    const id = identifierAt(mrg, 1, rep, ctx, ignored);
    if (!id) continue;
    if (id.authority === undefined) {
      throw Hl7MappingError.missing(
        where(mrg, 1, 4),
        `${mrg.position}-1 has no assigning authority (component 4) and the source profile names no default authority; a merge may only retire an identifier whose authority is known.`,
      );
    }
    out.push(id);
  }
  if (out.length === 0) {
    throw Hl7MappingError.missing(where(mrg, 1), `${mrg.position}-1 (prior patient identifier list) is empty; the source must name the identifier of the record being merged away.`);
  }
  return out;
}

/** The survivor's identifier in the same system as the retired one, else its record number, else any with an authority. */
function survivorFor(retired: Identifier, identifiers: readonly Identifier[], ctx: MapContext, pid: Located): Identifier {
  const known = identifiers.filter((i) => i.authority !== undefined);
  const recordTypes = ctx.profile.identifiers.recordNumberTypes;
  const survivor =
    known.find((i) => i.system === retired.system) ?? known.find((i) => i.type !== undefined && recordTypes.includes(i.type)) ?? known[0];
  if (!survivor) {
    throw Hl7MappingError.missing(
      where(pid, 3, 4),
      `${pid.position}-3 has no identifier with an assigning authority (component 4) and the source profile names no default authority; the surviving record of a merge must be identifiable.`,
    );
  }
  return survivor;
}
