/** Reading untyped FHIR JSON without trusting its shape: a wrong type reads as absent, never as a crash. */
export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function objectAt(o: JsonObject | undefined, key: string): JsonObject | undefined {
  const v = o?.[key];
  return isObject(v) ? v : undefined;
}

/** A non-empty string, trimmed; FHIR forbids leading and trailing whitespace but senders send it anyway. */
export function stringAt(o: JsonObject | undefined, key: string): string | undefined {
  const v = o?.[key];
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  return t === '' ? undefined : t;
}

export function numberAt(o: JsonObject | undefined, key: string): number | undefined {
  const v = o?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function booleanAt(o: JsonObject | undefined, key: string): boolean | undefined {
  const v = o?.[key];
  return typeof v === 'boolean' ? v : undefined;
}

/** The objects of an array element with their index in the array (positions name the index the sender used). */
export function objectsAt(o: JsonObject | undefined, key: string): [JsonObject, number][] {
  const v = o?.[key];
  if (!Array.isArray(v)) return [];
  const out: [JsonObject, number][] = [];
  v.forEach((item, i) => {
    if (isObject(item)) out.push([item, i]);
  });
  return out;
}

export function stringsAt(o: JsonObject | undefined, key: string): string[] {
  const v = o?.[key];
  if (!Array.isArray(v)) return [];
  return v.filter((s): s is string => typeof s === 'string').map((s) => s.trim()).filter((s) => s !== '');
}
