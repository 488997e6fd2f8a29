/**
 * A FHIR date search value (`ge2024-01`, `2024-03-02T10:00:00+01:00`) as the half-open range of instants its
 * precision covers. A value without a zone is read in UTC, the server's zone.
 */
export type DatePrefix = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'sa' | 'eb';

export interface DateBound {
  prefix: DatePrefix;
  start: Date;
  /** Exclusive. */
  end: Date;
  /** The value as parsed, for links and the audit trail. */
  text: string;
}

const DATE_VALUE = /^(eq|ne|lt|le|gt|ge|sa|eb)?(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

export function parseDateBound(value: string): DateBound | undefined {
  const m = DATE_VALUE.exec(value);
  if (!m) return undefined;
  const [, prefix = 'eq', year, month, day, hour, minute, second, fraction, zone] = m;
  const y = Number(year);
  if (month === undefined) return bound(prefix, new Date(Date.UTC(y, 0, 1)), new Date(Date.UTC(y + 1, 0, 1)), value);
  const mo = Number(month);
  if (mo < 1 || mo > 12) return undefined;
  if (day === undefined) return bound(prefix, new Date(Date.UTC(y, mo - 1, 1)), new Date(Date.UTC(y, mo, 1)), value);
  const d = Number(day);
  const midnight = new Date(Date.UTC(y, mo - 1, d));
  if (midnight.getUTCMonth() !== mo - 1) return undefined;
  if (hour === undefined) return bound(prefix, midnight, new Date(midnight.getTime() + 86_400_000), value);
  if (Number(hour) > 23 || Number(minute) > 59 || (second !== undefined && Number(second) > 59)) return undefined;
  const start = new Date(`${year}-${month}-${day}T${hour}:${minute}:${second ?? '00'}${fraction ?? ''}${zone ?? 'Z'}`);
  if (Number.isNaN(start.getTime())) return undefined;
  const step = fraction !== undefined ? 1 : second !== undefined ? 1_000 : 60_000;
  return bound(prefix, start, new Date(start.getTime() + step), value);
}

function bound(prefix: string, start: Date, end: Date, text: string): DateBound {
  return { prefix: prefix as DatePrefix, start, end, text };
}
