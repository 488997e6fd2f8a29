import type { FactInput, ObservationBody } from '../../model/clinical.ts';
import { isObservationCategory, type ObservationCategory } from '../../model/observation-category.ts';
import type { QualityFlag } from '../../model/quality.ts';
import { conceptOf, conceptText, firstCode } from './codes.ts';
import type { FhirMapContext, ResourceMapper } from './context.ts';
import { objectAt, objectsAt, stringAt, type JsonObject } from './json.ts';
import { observationValue } from './observation-value.ts';
import { rangeText } from './quantity.ts';
import { statusOf, statuses } from './status.ts';
import { fhirTime } from './time.ts';

const OBSERVATION_STATUS = statuses('registered', 'preliminary', 'final', 'amended', 'corrected', 'cancelled', 'entered-in-error', 'unknown');

/**
 * Observation → an observation fact, plus one per component. A blood pressure arrives from HL7 as two OBX results and
 * from FHIR as one Observation with two components; splitting the components makes both read alike downstream. A
 * component takes the status, time and patient of its Observation and is keyed `<observation key>/component/<code>`.
 * hasMember and derivedFrom are not followed: members are Observations of their own and map by themselves.
 */
export const observationMapper: ResourceMapper = {
  patient: 'subject',
  encounter: (r) => r['encounter'],
  map(entry, m) {
    const { resource: r, base } = entry;
    const key = m.keyOf(entry);
    const flags: QualityFlag[] = [];
    const status = statusOf(r['status'], OBSERVATION_STATUS, `${base}.status`, flags);
    const effective = effectiveOf(r, base, m.ctx, flags);
    const shared = { status, ...(effective ? { effective } : {}) };
    // A component is of its Observation's category; only the Observation itself carries one.
    const category = categoryOf(r);
    const facts = [observationFact(r, base, key, shared, category, m.ctx, flags)];
    for (const [component, i] of objectsAt(r, 'component')) {
      const code = firstCode(component['code']) ?? String(i);
      facts.push(observationFact(component, `${base}.component[${i}]`, m.uniqueKey(`${key}/component/${code}`), shared, category, m.ctx, []));
    }
    return facts;
  },
};

function observationFact(
  holder: JsonObject,
  position: string,
  sourceKey: string,
  shared: Pick<FactInput, 'status' | 'effective'>,
  category: ObservationCategory | undefined,
  ctx: FhirMapContext,
  flags: QualityFlag[],
): FactInput {
  const body: ObservationBody = {};
  const value = observationValue(holder, position, ctx, flags);
  if (value) body.value = value;
  const ranges = objectsAt(holder, 'referenceRange')
    .map(([range]) => stringAt(range, 'text') ?? rangeText(range))
    .filter((t): t is string => t !== undefined);
  if (ranges.length > 0) body.referenceRange = ranges.join('; ');
  const interpretation = objectsAt(holder, 'interpretation').map(([i]) => firstCode(i) ?? conceptText(i))[0];
  if (interpretation) body.interpretation = interpretation;
  const notes = objectsAt(holder, 'note')
    .map(([n]) => stringAt(n, 'text'))
    .filter((t): t is string => t !== undefined);
  if (notes.length > 0) body.note = notes.join('\n');
  if (category) body.category = category;
  const code = conceptOf(holder['code'], ctx, `${position}.code`, flags);
  return { kind: 'observation', sourceKey, ...shared, ...(code ? { code } : {}), body, position, flags };
}

/** effectiveDateTime or effectiveInstant, else the start of effectivePeriod (effectiveTiming has no single time). */
function effectiveOf(r: JsonObject, base: string, ctx: FhirMapContext, flags: QualityFlag[]) {
  if (r['effectiveDateTime'] !== undefined) return fhirTime(r['effectiveDateTime'], ctx, `${base}.effectiveDateTime`, flags);
  if (r['effectiveInstant'] !== undefined) return fhirTime(r['effectiveInstant'], ctx, `${base}.effectiveInstant`, flags);
  const period = objectAt(r, 'effectivePeriod');
  return period ? fhirTime(period['start'], ctx, `${base}.effectivePeriod.start`, flags) : undefined;
}

function categoryOf(r: JsonObject): ObservationCategory | undefined {
  for (const [concept] of objectsAt(r, 'category')) {
    for (const [coding] of objectsAt(concept, 'coding')) {
      const code = stringAt(coding, 'code');
      if (code && isObservationCategory(code)) return code;
    }
  }
  return undefined;
}
