/** Times as a clinician reads them: 24-hour clock, local time zone, day and month in words. */
const clockFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
const shortDateTimeFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
const dateFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });

function valid(value: string | Date | null | undefined): Date | undefined {
  if (value === null || value === undefined) return undefined;
  const at = value instanceof Date ? value : new Date(value);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/** 14:05 */
export function clock(value: string | Date): string {
  const at = valid(value);
  return at ? clockFormat.format(at) : '—';
}

/** 12 Mar 2026, 14:05:09 */
export function dateTime(value: string | Date | null | undefined): string {
  const at = valid(value);
  return at ? dateTimeFormat.format(at) : '—';
}

/** 12 Mar, 14:05 */
export function shortDateTime(value: string | Date | null | undefined): string {
  const at = valid(value);
  return at ? shortDateTimeFormat.format(at) : '—';
}

/** A calendar date (FHIR `date`, no time zone): 17 Dec 1899. */
export function calendarDate(value: string | undefined): string {
  if (!value || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return value ?? '—';
  return dateFormat.format(new Date(`${value}T00:00:00Z`));
}

/** "in 59 min", "in 2 h 5 min", "now" */
export function untilText(value: string | Date, now = new Date()): string {
  const at = valid(value);
  if (!at) return '';
  const minutes = Math.round((at.getTime() - now.getTime()) / 60_000);
  if (minutes <= 0) return 'now';
  if (minutes < 60) return `in ${minutes}\u00a0min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return `in ${h}\u00a0h${m ? ` ${m}\u00a0min` : ''}`;
}

/** "3 min ago" */
export function agoText(value: string | Date, now = new Date()): string {
  const at = valid(value);
  if (!at) return '';
  const seconds = Math.round((now.getTime() - at.getTime()) / 1000);
  if (seconds < 60) return seconds <= 1 ? 'just now' : `${seconds}\u00a0s ago`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 120) return `${minutes}\u00a0min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours}\u00a0h ago`;
  return `${Math.round(hours / 24)}\u00a0days ago`;
}

/** The value of an <input type="datetime-local"> (local wall time) as an ISO instant, or undefined when empty. */
export function localInputToIso(value: string): string | undefined {
  if (!value) return undefined;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
}

/** An instant as the value of an <input type="datetime-local">. */
export function isoToLocalInput(value: string | Date | undefined): string {
  const at = valid(value ?? undefined);
  if (!at) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
}
