import type { AllergyBody } from '../../model/clinical.ts';
import type { QualityFlag } from '../../model/quality.ts';
import { conceptOf, conceptText } from './codes.ts';
import type { ResourceMapper } from './context.ts';
import { objectsAt, stringAt, stringsAt } from './json.ts';
import { clinicalStatus } from './clinical-status.ts';
import { fhirTime } from './time.ts';

const CATEGORIES = new Set<string>(['food', 'medication', 'environment', 'biologic']);
const CRITICALITIES = new Set<string>(['low', 'high', 'unable-to-assess']);

/** AllergyIntolerance → an allergy fact: category, criticality, and what the reactions looked like (manifestations). */
export const allergyMapper: ResourceMapper = {
  patient: 'patient',
  encounter: (r) => r['encounter'],
  map(entry, m) {
    const { resource: r, base } = entry;
    const flags: QualityFlag[] = [];
    const body: AllergyBody = {};
    const category = stringsAt(r, 'category').find((c) => CATEGORIES.has(c));
    if (category) body.category = category as AllergyBody['category'];
    const criticality = stringAt(r, 'criticality');
    if (criticality && CRITICALITIES.has(criticality)) body.criticality = criticality as AllergyBody['criticality'];
    const reactions = objectsAt(r, 'reaction')
      .flatMap(([reaction]) => objectsAt(reaction, 'manifestation').map(([mf]) => conceptText(mf)))
      .filter((t): t is string => t !== undefined);
    if (reactions.length > 0) body.reaction = [...new Set(reactions)].join('; ');
    const effective =
      r['onsetDateTime'] !== undefined ? fhirTime(r['onsetDateTime'], m.ctx, `${base}.onsetDateTime`, flags) : fhirTime(r['recordedDate'], m.ctx, `${base}.recordedDate`, flags);
    const code = conceptOf(r['code'], m.ctx, `${base}.code`, flags);
    return [
      {
        kind: 'allergy',
        sourceKey: m.keyOf(entry),
        status: clinicalStatus(r, base, ['active', 'inactive', 'resolved'], flags),
        ...(code ? { code } : {}),
        ...(effective ? { effective } : {}),
        body,
        position: base,
        flags,
      },
    ];
  },
};
