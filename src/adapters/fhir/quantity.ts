import type { Quantity } from '../../model/clinical.ts';
import { isObject, numberAt, objectAt, stringAt, type JsonObject } from './json.ts';

export type Comparator = '<' | '<=' | '>=' | '>';
const COMPARATORS = new Set<string>(['<', '<=', '>=', '>']);

/** A FHIR Quantity (or SimpleQuantity, Duration, Age): needs a numeric value; the unit shown is `unit`, else `code`. */
export function quantityOf(value: unknown): { quantity: Quantity; comparator?: Comparator } | undefined {
  if (!isObject(value)) return undefined;
  const v = numberAt(value, 'value');
  if (v === undefined) return undefined;
  const unit = stringAt(value, 'unit') ?? stringAt(value, 'code');
  const system = stringAt(value, 'system');
  const code = stringAt(value, 'code');
  const comparator = stringAt(value, 'comparator');
  return {
    quantity: { value: v, ...(unit ? { unit } : {}), ...(system ? { system } : {}), ...(code ? { code } : {}) },
    ...(comparator && COMPARATORS.has(comparator) ? { comparator: comparator as Comparator } : {}),
  };
}

function shown(q: JsonObject | undefined): { value: number; unit: string } | undefined {
  const v = numberAt(q, 'value');
  return v === undefined ? undefined : { value: v, unit: stringAt(q, 'unit') ?? stringAt(q, 'code') ?? '' };
}

/** A Range as a person reads it: `3.1-6.2 mmol/L`, `>=3.1 mmol/L`, `<=6.2 mmol/L`. */
export function rangeText(range: JsonObject): string | undefined {
  const low = shown(objectAt(range, 'low'));
  const high = shown(objectAt(range, 'high'));
  const withUnit = (text: string, unit: string) => (unit ? `${text} ${unit}` : text);
  if (low && high) {
    return low.unit === high.unit ? withUnit(`${low.value}-${high.value}`, low.unit) : `${withUnit(String(low.value), low.unit)}-${withUnit(String(high.value), high.unit)}`;
  }
  if (low) return withUnit(`>=${low.value}`, low.unit);
  if (high) return withUnit(`<=${high.value}`, high.unit);
  return undefined;
}
