/**
 * Message times to the second (an operator matches them against a sender's log), without the year (almost always this
 * one) to keep table columns narrow. The full date and time are in the element's `dateTime` attribute.
 */
const stampFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
const clockFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

function valid(value: string | null | undefined): Date | undefined {
  if (!value) return undefined;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/** 12 Mar, 14:05:09 */
export function stamp(value: string | null | undefined): string {
  const at = valid(value);
  return at ? stampFormat.format(at) : '—';
}

/** 14:05 today, 11 Mar, 14:05:09 otherwise. */
export function whenShort(value: string | null | undefined, now = new Date()): string {
  const at = valid(value);
  if (!at) return '—';
  return at.toDateString() === now.toDateString() ? clockFormat.format(at) : stampFormat.format(at);
}

/** "48 min", "2 h 5 min", "3 days": how long since `value`. */
export function elapsed(value: string | null | undefined, now = new Date()): string {
  const at = valid(value);
  if (!at) return '';
  const minutes = Math.max(0, Math.floor((now.getTime() - at.getTime()) / 60_000));
  if (minutes < 1) return 'under a minute';
  if (minutes < 60) return `${minutes}\u00a0min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}\u00a0h${minutes % 60 ? ` ${minutes % 60}\u00a0min` : ''}`;
  return `${Math.floor(hours / 24)}\u00a0days`;
}
