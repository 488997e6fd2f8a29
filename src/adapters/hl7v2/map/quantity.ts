import type { Quantity } from '../../../model/clinical.ts';

export type Comparator = '<' | '<=' | '>=' | '>';

const NUMBER = /^(<=|>=|<|>|=)?\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))$/;

/** `4.06`, `<5`, `>= 10`, `=3`; a decimal comma or anything around the number makes it not a number. */
export function parseNumber(text: string): { value: number; comparator?: Comparator } | undefined {
  const m = NUMBER.exec(text.trim());
  if (!m) return undefined;
  const value = Number(m[2]);
  if (!Number.isFinite(value)) return undefined;
  const comparator = m[1] as Comparator | '=' | undefined;
  return comparator === undefined || comparator === '=' ? { value } : { value, comparator };
}

export const UCUM = 'http://unitsofmeasure.org';

// Senders write the system name as UCUM, "UCUM" (quotes included) or ucum.
const isUcum = (name: string) => name.replace(/"/g, '').trim().toUpperCase() === 'UCUM';

/**
 * A unit field (OBX-6, RXE-5, RXA-7: CWE). The unit shown is the code as sent (`mg/dL`), falling back to its text;
 * system and code are set only when the sender says the unit is UCUM, in either coding triplet.
 */
export function unitOf(parts: readonly string[]): Omit<Quantity, 'value'> | undefined {
  const c = (i: number) => parts[i - 1] ?? '';
  if (c(1) && isUcum(c(3))) return { unit: c(1), system: UCUM, code: c(1) };
  if (c(4) && isUcum(c(6))) return { unit: c(1) || c(4), system: UCUM, code: c(4) };
  const unit = c(1) || c(2);
  return unit ? { unit } : undefined;
}

const DOSE_IN_TEXT = /(?<![\w.])(\d+(?:\.\d+)?|\.\d+)\s*(mcg|µg|ug|mg|g|kg|ml|l|units?|iu|meq|mmol|tablets?|tabs?|capsules?|caps?|puffs?|drops?|sprays?|patch(?:es)?)(?![\w/])/gi;

/**
 * A dose stated in free text ("500 mg by mouth twice daily"). Only an unambiguous statement is read: a rate
 * (`5 mg/hr`) is not a dose, and text naming two different doses (titration, "500 mg then 250 mg") is left alone.
 */
export function doseFromText(text: string): Quantity | undefined {
  const found = new Map<string, Quantity>();
  for (const m of text.matchAll(DOSE_IN_TEXT)) {
    const q = { value: Number(m[1]), unit: m[2]! };
    found.set(`${q.value} ${q.unit.toLowerCase()}`, q);
  }
  return found.size === 1 ? [...found.values()][0] : undefined;
}
