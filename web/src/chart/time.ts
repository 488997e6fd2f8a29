import type { SourceTime } from './types.ts';

/**
 * Chart times. Everything is shown in the reader's own zone, and wherever a time is read on its own (provenance, the
 * history) the zone is written next to it: at 3 a.m. nobody should have to guess whether a lab time is local or UTC.
 */
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
const zonedFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short' });
const zonedShortFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' });
const dateFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
const monthFormat = new Intl.DateTimeFormat(undefined, { month: 'short', year: 'numeric' });
const yearFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric' });

function valid(value: string | null | undefined): Date | undefined {
  if (!value) return undefined;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/** The reader's zone, named once at the top of the chart. */
export function readerZone(): string {
  return zone;
}

/** 1 Mar 2024, 12:00 (in the reader's zone, which the chart names once). */
export function chartTime(value: string | null | undefined): string {
  const at = valid(value);
  return at ? dateTimeFormat.format(at) : '—';
}

/** 1 Mar 2024, 12:00:00 GMT+1: a time read on its own carries its zone. */
export function zonedTime(value: string | null | undefined): string {
  const at = valid(value);
  return at ? zonedFormat.format(at) : '—';
}

/** 1 Mar 2024, 12:00 GMT+1: for table columns, where seconds would only crowd. */
export function zonedShort(value: string | null | undefined): string {
  const at = valid(value);
  return at ? zonedShortFormat.format(at) : '—';
}

/** A source time at the precision the source gave: a problem's onset "2019" must not become 1 Jan 2019, 05:00. */
export function sourceTimeText(time: SourceTime | undefined): string {
  const at = valid(time?.instant);
  if (!time || !at) return '—';
  // A date without a time of day is a calendar date: show it in the zone the source meant, not the reader's.
  const options = /^[A-Za-z]/.test(time.zone) ? { timeZone: time.zone } : {};
  try {
    if (time.precision === 'year') return new Intl.DateTimeFormat(undefined, { year: 'numeric', ...options }).format(at);
    if (time.precision === 'month') return new Intl.DateTimeFormat(undefined, { month: 'short', year: 'numeric', ...options }).format(at);
    if (time.precision === 'day') return new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric', ...options }).format(at);
  } catch {
    // A zone this browser does not know: fall through to the reader's zone.
    if (time.precision === 'year') return yearFormat.format(at);
    if (time.precision === 'month') return monthFormat.format(at);
    if (time.precision === 'day') return dateFormat.format(at);
  }
  return dateTimeFormat.format(at);
}

/** "3 h ago", "2 days ago": how long since. */
export function since(value: string | null | undefined, now = new Date()): string {
  const at = valid(value);
  if (!at) return '';
  const minutes = Math.max(0, Math.round((now.getTime() - at.getTime()) / 60_000));
  if (minutes < 1) return 'just now';
  if (minutes < 90) return `${minutes}\u00a0min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours}\u00a0h ago`;
  return `${Math.round(hours / 24)}\u00a0days ago`;
}
