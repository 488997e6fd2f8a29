import type { Identifier, MergeInput, PatientRecordInput } from '../../model/clinical.ts';
import type { MapState } from './context.ts';
import { EntryRefusal } from './errors.ts';
import { flag } from './flags.ts';
import { identifierOf, isMatchable, sameIdentifier, sourcePatientId } from './identifiers.ts';
import { isObject, objectsAt, stringAt } from './json.ts';
import type { PayloadEntry } from './payload.ts';
import { literalTarget } from './references.ts';

/**
 * Patient.link as merges. `replaced-by`: this record was merged into the other (the other survives); `replaces`: this
 * record absorbed the other. A merge cannot be undone by the next message, so it is made only when both sides are
 * identifiable under a known system; otherwise the link is left out and the patient flagged `segment-ignored` there.
 * `refer` and `seealso` say two records are related, not the same, and are not merges.
 */
export function patientLinks(entry: PayloadEntry, record: PatientRecordInput, m: MapState, records: ReadonlyMap<PayloadEntry, PatientRecordInput>): MergeInput[] {
  const merges: MergeInput[] = [];
  for (const [link, j] of objectsAt(entry.resource, 'link')) {
    const type = stringAt(link, 'type');
    if (type !== 'replaced-by' && type !== 'replaces') continue;
    const at = `${entry.base}.link[${j}]`;
    const other = otherSide(link['other'], entry, `${at}.other`, m, records);
    const pair = other && (type === 'replaced-by' ? choose(other, record.identifiers, m) : choose(record.identifiers, other, m));
    if (!pair) {
      flag(record.flags, 'segment-ignored', at);
      continue;
    }
    const [survivor, retired] = pair;
    if (sameIdentifier(survivor, retired)) {
      throw EntryRefusal.error('invalid', `${at}.other`, 'Patient.link.other names this same patient; a record cannot be merged into itself.');
    }
    merges.push({ survivor, retired, position: at });
  }
  return merges;
}

/** The other record's identifiers: from the payload when it is there, else as the reference names it. */
function otherSide(ref: unknown, from: PayloadEntry, at: string, m: MapState, records: ReadonlyMap<PayloadEntry, PatientRecordInput>): Identifier[] | undefined {
  if (!isObject(ref)) return undefined;
  const literal = stringAt(ref, 'reference');
  if (literal !== undefined) {
    const inPayload = m.refs.resolve(literal, from);
    if (inPayload) return inPayload.type === 'Patient' ? records.get(inPayload)?.identifiers : undefined;
  }
  // Flags about the other record's identifier belong to that record, which this message does not carry.
  const identifier = identifierOf(ref['identifier'], m.ctx, `${at}.identifier`, []);
  if (identifier) return [identifier];
  const target = literal === undefined ? undefined : literalTarget(literal);
  return target?.type === 'Patient' ? [sourcePatientId(m.ctx.sourceId, target.id)] : undefined;
}

/**
 * One identifier for each side, as the HL7 mapper picks a merge's survivor: a pair in the same system when there is
 * one (record-number types first), else each side's record number or first identifier. Unknown systems never count.
 */
function choose(survivors: readonly Identifier[], retired: readonly Identifier[], m: MapState): [Identifier, Identifier] | undefined {
  const types = m.ctx.profile.identifiers.recordNumberTypes;
  const ordered = (ids: readonly Identifier[]) => {
    const known = ids.filter(isMatchable);
    return [...known.filter((i) => i.type !== undefined && types.includes(i.type)), ...known.filter((i) => i.type === undefined || !types.includes(i.type))];
  };
  const s = ordered(survivors);
  const r = ordered(retired);
  for (const a of s) {
    const b = r.find((x) => x.system === a.system);
    if (b) return [a, b];
  }
  return s[0] && r[0] ? [s[0], r[0]] : undefined;
}
