import type { ObservationValue } from '../../model/clinical.ts';
import type { QualityFlag } from '../../model/quality.ts';
import { conceptOf } from './codes.ts';
import type { FhirMapContext } from './context.ts';
import { flag } from './flags.ts';
import { isObject, numberAt, objectAt, stringAt, type JsonObject } from './json.ts';
import { quantityOf, rangeText } from './quantity.ts';
import { fhirTime } from './time.ts';

/**
 * Observation.value[x] (or a component's). Quantity, string, CodeableConcept and dateTime are what the model holds;
 * integer is a quantity without a unit. Other types are kept as text and flagged `value-type-unknown` so nothing the
 * source said is lost — except SampledData and Attachment, whose content is bulk data or a document: left out, flagged.
 */
export function observationValue(holder: JsonObject, base: string, ctx: FhirMapContext, flags: QualityFlag[]): ObservationValue | undefined {
  const key = Object.keys(holder).find((k) => /^value[A-Z]/.test(k) && holder[k] !== undefined && holder[k] !== null);
  if (key === undefined) return undefined;
  const raw = holder[key];
  const at = `${base}.${key}`;
  const asText = (text: string | undefined): ObservationValue | undefined => {
    flag(flags, 'value-type-unknown', at);
    return text ? { type: 'string', text } : undefined;
  };
  switch (key) {
    case 'valueQuantity': {
      const q = quantityOf(raw);
      if (q) return { type: 'quantity', ...q };
      return asText(undefined);
    }
    case 'valueInteger':
      return typeof raw === 'number' && Number.isInteger(raw) ? { type: 'quantity', quantity: { value: raw } } : asText(undefined);
    case 'valueString':
      return typeof raw === 'string' && raw.trim() !== '' ? { type: 'string', text: raw.trim() } : undefined;
    case 'valueCodeableConcept': {
      const concept = conceptOf(raw, ctx, at, flags);
      return concept ? { type: 'concept', concept } : undefined;
    }
    case 'valueDateTime': {
      const time = fhirTime(raw, ctx, at, flags);
      return time ? { type: 'datetime', time } : undefined;
    }
    case 'valueBoolean':
      return asText(typeof raw === 'boolean' ? String(raw) : undefined);
    case 'valueTime':
      return asText(typeof raw === 'string' ? raw.trim() : undefined);
    case 'valueRange':
      return asText(isObject(raw) ? rangeText(raw) : undefined);
    case 'valueRatio':
      return asText(isObject(raw) ? ratioText(raw) : undefined);
    case 'valuePeriod':
      return asText(isObject(raw) ? periodText(raw) : undefined);
    default:
      return asText(undefined);
  }
}

function ratioText(ratio: JsonObject): string | undefined {
  const n = numberAt(objectAt(ratio, 'numerator'), 'value');
  const d = numberAt(objectAt(ratio, 'denominator'), 'value');
  return n === undefined || d === undefined ? undefined : `${n}:${d}`;
}

/** ISO 8601 interval notation, either end may be open: `2024-01-01/2024-01-05`, `2024-01-01/`. */
function periodText(period: JsonObject): string | undefined {
  const start = stringAt(period, 'start');
  const end = stringAt(period, 'end');
  return start || end ? `${start ?? ''}/${end ?? ''}` : undefined;
}
