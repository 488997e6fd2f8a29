import type { ConditionBody, FactInput, PatientGroup } from '../../../model/clinical.ts';
import type { QualityFlag } from '../../../model/quality.ts';
import { conceptOf } from './codes.ts';
import type { EventInput, EventOutput, MapContext } from './context.ts';
import { Hl7MappingError } from './errors.ts';
import { patientGroup, requirePatients } from './group.ts';
import type { KeyRegistry } from './keys.ts';
import { at, components, flag, text, where, type Located } from './segments.ts';
import { hl7Time } from './time.ts';

/** PRB-1 action code (HL7 table 0287). DE takes the problem off the list: recorded as entered in error. */
const ACTIONS = new Set(['AD', 'CO', 'DE', 'LI', 'UC', 'UN', 'UP']);

/**
 * PRB-14 problem life cycle status and PRB-13 confirmation status are user-defined tables; these are the codes and
 * words senders use. Anything else is kept as `unknown` and flagged, never read as active.
 */
const LIFE_CYCLE: Record<string, string> = {
  A: 'active', ACTIVE: 'active', I: 'inactive', INACTIVE: 'inactive', R: 'resolved', RESOLVED: 'resolved',
  RECURRENCE: 'recurrence', RELAPSE: 'relapse', REMISSION: 'remission',
};
const CONFIRMATION: Record<string, string> = {
  C: 'confirmed', CONFIRMED: 'confirmed', P: 'provisional', PROVISIONAL: 'provisional', D: 'differential', DIFFERENTIAL: 'differential',
  U: 'unconfirmed', UNCONFIRMED: 'unconfirmed', R: 'refuted', REFUTED: 'refuted', E: 'entered-in-error', 'ENTERED-IN-ERROR': 'entered-in-error',
};

/** A problem the source put on the list is active unless it says otherwise (PRB-14, or a resolution date in PRB-9). */
function statusOf(prb: Located, flags: QualityFlag[]): string {
  if (text(prb.seg, 1).toUpperCase() === 'DE') return 'entered-in-error';
  const confirmation = text(prb.seg, 13, 1, 1).toUpperCase();
  const confirmed = confirmation ? CONFIRMATION[confirmation] : undefined;
  if (confirmation && !confirmed) flag(flags, 'status-unknown', at(prb, 13));
  // Refuted and entered-in-error must never read as an active problem, whatever the life cycle says.
  if (confirmed === 'refuted' || confirmed === 'entered-in-error') return confirmed;
  const cycle = text(prb.seg, 14, 1, 1).toUpperCase();
  if (cycle) {
    const known = LIFE_CYCLE[cycle];
    if (known) return known;
    flag(flags, 'status-unknown', at(prb, 14));
    return 'unknown';
  }
  if (text(prb.seg, 9)) return 'resolved';
  return confirmed && confirmed !== 'confirmed' ? confirmed : 'active';
}

/** PRB: one problem-list item, known at its source by the problem instance id (PRB-4). */
export function mapPrb(prb: Located, ctx: MapContext, keys: KeyRegistry): FactInput {
  const flags: QualityFlag[] = [];
  const id = text(prb.seg, 4, 1, 1);
  if (!id) {
    throw Hl7MappingError.missing(where(prb, 4), `${prb.position}-4 (problem instance id) is empty; without it a later update or deletion of this problem could not be matched to it.`);
  }
  const namespace = text(prb.seg, 4, 1, 2);
  const action = text(prb.seg, 1).toUpperCase();
  if (!ACTIONS.has(action)) flag(flags, 'table-value-unknown', at(prb, 1));
  const code = conceptOf(components(prb.seg, 3), ctx, at(prb, 3), flags);
  if (!code && action !== 'DE') {
    throw Hl7MappingError.missing(where(prb, 3), `${prb.position}-3 (problem id) is empty; a problem without a code or text cannot be put on the problem list.`);
  }
  const body: ConditionBody = { category: 'problem-list-item' };
  const onset = hl7Time(text(prb.seg, 16), ctx.profile, at(prb, 16), flags);
  if (onset) body.onset = onset;
  const abatement = hl7Time(text(prb.seg, 9), ctx.profile, at(prb, 9), flags);
  if (abatement) body.abatement = abatement;
  const effective = hl7Time(text(prb.seg, 7), ctx.profile, at(prb, 7), flags) ?? hl7Time(text(prb.seg, 2), ctx.profile, at(prb, 2), flags);
  return {
    kind: 'condition',
    sourceKey: keys.unique(`problem:${namespace ? `${id}^${namespace}` : id}`),
    status: statusOf(prb, flags),
    ...(code ? { code } : {}),
    ...(effective ? { effective } : {}),
    body,
    position: prb.position,
    flags,
  };
}

/** PPR^PC1 (add), PC2 (update), PC3 (delete): each PRB after a PID is one of that patient's problems. */
export function problemMapper(event: string) {
  return (input: EventInput): EventOutput => {
    const groups: PatientGroup[] = [];
    for (const g of requirePatients(input.segments, event)) {
      const group = patientGroup(g, input.ctx, 'current', input.flags);
      for (const m of g.members) {
        if (m.id !== 'PRB') continue;
        const fact = mapPrb(m, input.ctx, input.keys);
        // PC3 is the delete event: whatever PRB-1 says, the problem comes off the list.
        if (event === 'PPR^PC3') fact.status = 'entered-in-error';
        group.facts.push(fact);
      }
      groups.push(group);
    }
    return { groups, merges: [] };
  };
}
