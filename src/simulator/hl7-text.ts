import { DateTime } from 'luxon';

/** The few pieces of HL7 v2 text every simulated message is made of. */

/** Escapes a free-text value (a name, a street, a note) so it cannot end a field, component or repetition. */
export function esc(value: string): string {
  return value.replace(/[\\|^&~]/g, (c) => ({ '\\': '\\E\\', '|': '\\F\\', '^': '\\S\\', '&': '\\T\\', '~': '\\R\\' })[c]!);
}

/** Components joined with `^`, trailing empty ones dropped (as most senders do). */
export function comps(...parts: (string | undefined)[]): string {
  const out = parts.map((p) => p ?? '');
  while (out.length > 0 && out.at(-1) === '') out.pop();
  return out.join('^');
}

/** A segment from its fields by HL7 number (1-based); gaps are empty fields, trailing empties are dropped. */
export function segment(id: string, fields: Readonly<Record<number, string | undefined>>): string {
  const numbers = Object.keys(fields).map(Number).filter((n) => (fields[n] ?? '') !== '');
  const last = numbers.length ? Math.max(...numbers) : 0;
  const out: string[] = [id];
  for (let n = 1; n <= last; n++) out.push(fields[n] ?? '');
  return out.join('|');
}

/** Segments, each ended by a carriage return, the last one too (HL7's rule, which Vigil enforces on MLLP). */
export function message(segments: readonly string[]): string {
  return segments.map((s) => `${s}\r`).join('');
}

/** A naive local time in the source's zone, as these senders write it: no offset. */
export function localTime(ms: number, zone: string, precision: 'second' | 'minute' = 'second'): string {
  return DateTime.fromMillis(ms, { zone }).toFormat(precision === 'second' ? 'yyyyLLddHHmmss' : 'yyyyLLddHHmm');
}

export interface Header {
  msh3: string;
  msh4: string;
  timeZone: string;
  controlId: string;
  /** Message time (MSH-7), ms since the epoch. */
  at: number;
}

export function msh(h: Header, type: string): string {
  return `MSH|^~\\&|${h.msh3}|${h.msh4}|VIGIL|VIGIL|${localTime(h.at, h.timeZone)}||${type}|${h.controlId}|P|2.5.1`;
}
