import type { ConditionBody } from '../../model/clinical.ts';
import type { QualityFlag } from '../../model/quality.ts';
import type { SourceTime } from '../../model/time.ts';
import { clinicalStatus } from './clinical-status.ts';
import { allCodes, conceptOf } from './codes.ts';
import type { FhirMapContext, ResourceMapper } from './context.ts';
import { objectAt, objectsAt, type JsonObject } from './json.ts';
import { fhirTime } from './time.ts';

const CATEGORIES = new Set<string>(['problem-list-item', 'encounter-diagnosis']);

/** Condition → a condition fact: problem-list item or encounter diagnosis, with onset and abatement. */
export const conditionMapper: ResourceMapper = {
  patient: 'subject',
  encounter: (r) => r['encounter'],
  map(entry, m) {
    const { resource: r, base } = entry;
    const flags: QualityFlag[] = [];
    const body: ConditionBody = {};
    const category = objectsAt(r, 'category').flatMap(([c]) => allCodes(c)).find((c) => CATEGORIES.has(c));
    if (category) body.category = category as ConditionBody['category'];
    const onset = timeOf(r, 'onset', 'start', base, m.ctx, flags);
    if (onset) body.onset = onset;
    const abatement = timeOf(r, 'abatement', 'end', base, m.ctx, flags);
    if (abatement) body.abatement = abatement;
    const effective = onset ?? fhirTime(r['recordedDate'], m.ctx, `${base}.recordedDate`, flags);
    const code = conceptOf(r['code'], m.ctx, `${base}.code`, flags);
    return [
      {
        kind: 'condition',
        sourceKey: m.keyOf(entry),
        status: clinicalStatus(r, base, ['active', 'recurrence', 'relapse', 'inactive', 'remission', 'resolved'], flags),
        ...(code ? { code } : {}),
        ...(effective ? { effective } : {}),
        body,
        position: base,
        flags,
      },
    ];
  },
};

/**
 * onset[x] / abatement[x] when it is a point in time: the dateTime, or the period's start (onset) or end (abatement).
 * Ages, ranges and strings name no instant and are left out.
 */
function timeOf(r: JsonObject, prefix: string, edge: 'start' | 'end', base: string, ctx: FhirMapContext, flags: QualityFlag[]): SourceTime | undefined {
  if (r[`${prefix}DateTime`] !== undefined) return fhirTime(r[`${prefix}DateTime`], ctx, `${base}.${prefix}DateTime`, flags);
  const period = objectAt(r, `${prefix}Period`);
  return period ? fhirTime(period[edge] ?? period['start'], ctx, `${base}.${prefix}Period.${period[edge] !== undefined ? edge : 'start'}`, flags) : undefined;
}
