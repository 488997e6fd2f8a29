import { IANAZone } from 'luxon';
import type { QualityFlag } from '../../../model/quality.ts';
import type { SourceTime, TimePrecision } from '../../../model/time.ts';
import { DEFAULT_PROFILE, type SourceProfile } from '../../source-profile.ts';
import { SourceProfileError } from './errors.ts';
import { flag } from './segments.ts';

/**
 * HL7 DTM (and the first component of TS): YYYY[MM[DD[HH[MM[SS[.S…]]]]]][+/-ZZZZ]. HL7 allows four fraction digits;
 * up to nine are read (some senders write microseconds) and cut to milliseconds.
 */
const DTM = /^(\d{4})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:\.(\d{1,9}))?)?)?)?)?)?(?:([+-])(\d{2})(\d{2}))?$/;

export interface DtmParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
  precision: TimePrecision;
  /** Minutes east of UTC when the source stated an offset. */
  offsetMinutes?: number;
  offsetText?: string;
}

const PRECISIONS: TimePrecision[] = ['year', 'month', 'day', 'hour', 'minute', 'second', 'fraction'];

export function parseDtm(value: string): DtmParts | undefined {
  const m = DTM.exec(value.trim());
  if (!m) return undefined;
  const num = (i: number, dflt: number) => (m[i] === undefined ? dflt : Number(m[i]));
  const parts: DtmParts = {
    year: num(1, 0),
    month: num(2, 1),
    day: num(3, 1),
    hour: num(4, 0),
    minute: num(5, 0),
    second: num(6, 0),
    millisecond: m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0').slice(0, 3)),
    precision: PRECISIONS[[2, 3, 4, 5, 6, 7].filter((i) => m[i] !== undefined).length]!,
  };
  if (parts.month < 1 || parts.month > 12 || parts.day < 1 || parts.day > daysIn(parts.year, parts.month)) return undefined;
  if (parts.hour > 23 || parts.minute > 59 || parts.second > 59) return undefined;
  if (m[8] !== undefined) {
    const hh = Number(m[9]);
    const mm = Number(m[10]);
    if (hh > 14 || mm > 59) return undefined;
    parts.offsetMinutes = (m[8] === '-' ? -1 : 1) * (hh * 60 + mm);
    parts.offsetText = `${m[8]}${m[9]}${m[10]}`;
  }
  return parts;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  return month === 2 && ((year % 4 === 0 && year % 100 !== 0) || year % 400 === 0) ? 29 : MONTH_DAYS[month - 1]!;
}

/** Milliseconds of the wall-clock reading as if it were UTC; setUTCFullYear because Date.UTC maps years 0–99 to 19xx. */
function wallClockMs(p: DtmParts): number {
  const d = new Date(0);
  d.setUTCFullYear(p.year, p.month - 1, p.day);
  d.setUTCHours(p.hour, p.minute, p.second, p.millisecond);
  return d.getTime();
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** A UTC hour in which the zone's offset changes: instants in it are asked of the zone itself. */
const CHANGES_WITHIN = Number.NaN;
/** Per zone, beyond this many cached hours (about 23 years) the cache starts again rather than grow without end. */
const MAX_CACHED_HOURS = 200_000;
const offsetsByHour = new Map<string, Map<number, number>>();

/**
 * Minutes east of UTC in `zone` at the UTC instant `t`, as luxon answers it. Asking luxon costs tens of microseconds
 * (Intl formatting), and a message asks many times, almost always about the same few hours; so the answer is kept per
 * UTC hour, for hours whose offset is the same at their first and last millisecond. An hour with a change inside it
 * (zones whose clocks change at a half hour in UTC, e.g. St John's) is not cached: those instants are asked directly.
 * Offsets change at most once within an hour in every zone of the IANA database, so an hour with equal ends has one
 * offset throughout.
 */
export function zoneOffsetMinutes(zone: IANAZone, t: number): number {
  let hours = offsetsByHour.get(zone.name);
  if (!hours) {
    hours = new Map();
    offsetsByHour.set(zone.name, hours);
  }
  const hour = Math.floor(t / HOUR_MS);
  let offset = hours.get(hour);
  if (offset === undefined) {
    const first = zone.offset(hour * HOUR_MS);
    offset = first === zone.offset(hour * HOUR_MS + HOUR_MS - 1) ? first : CHANGES_WITHIN;
    if (hours.size >= MAX_CACHED_HOURS) hours.clear();
    hours.set(hour, offset);
  }
  return Number.isNaN(offset) ? zone.offset(t) : offset;
}

/**
 * The instant a wall-clock reading names in `zone`, decided the way java.time and Temporal ("compatible") do, so the
 * same message always lands on the same instant:
 * - a reading that happens twice (the hour repeated when clocks go back) is the first of the two, with the earlier
 *   offset still in force: a result timed in that hour is more likely recorded before the change than after;
 * - a reading that never happens (the hour skipped when clocks go forward) is read with the offset in force before
 *   the jump, which puts it as far past the jump as it claims to be past the last valid minute (02:30 → 03:30).
 */
export function resolveWallClock(local: number, zone: IANAZone): number {
  const before = zoneOffsetMinutes(zone, local - DAY_MS);
  const after = zoneOffsetMinutes(zone, local + DAY_MS);
  let earliest: number | undefined;
  for (const offset of before === after ? [before] : [before, after]) {
    const t = local - offset * 60_000;
    if (zoneOffsetMinutes(zone, t) * 60_000 === local - t && (earliest === undefined || t < earliest)) earliest = t;
  }
  return earliest ?? local - before * 60_000;
}

const validZones = new Map<string, IANAZone>();

export function profileZone(profile: SourceProfile): IANAZone {
  const known = validZones.get(profile.timeZone);
  if (known) return known;
  const zone = IANAZone.create(profile.timeZone);
  if (!zone.isValid) throw new SourceProfileError('The source profile names a time zone that is not a valid IANA zone; fix timeZone in the profile (e.g. America/New_York).');
  if (validZones.size < 1000) validZones.set(profile.timeZone, zone);
  return zone;
}

export function toSourceTime(p: DtmParts, profile: SourceProfile): SourceTime {
  const local = wallClockMs(p);
  if (p.offsetMinutes !== undefined) {
    return { instant: new Date(local - p.offsetMinutes * 60_000).toISOString(), zoneFrom: 'stated', zone: p.offsetText!, precision: p.precision };
  }
  return { instant: new Date(resolveWallClock(local, profileZone(profile))).toISOString(), zoneFrom: 'profile', zone: profile.timeZone, precision: p.precision };
}

const HAS_TIME_OF_DAY = new Set<TimePrecision>(['hour', 'minute', 'second', 'fraction']);

/**
 * A timestamp field as a SourceTime; undefined when empty, or when unparseable (flagged `timestamp-unparseable`).
 *
 * Naive timestamps are the norm in HL7 v2 and the profile's zone is the documented way to read them, so they are not
 * flagged as such. They are flagged `timestamp-zone-assumed` only when the profile still has the default zone (`UTC`)
 * and the value carries a time of day: then nobody has told Vigil the source's zone and the instant is a guess.
 * A source that really sends UTC wall time should get `Etc/UTC` in its profile, which reads the same and is not
 * flagged. A bare date needs no zone to be right as a date, so it is never flagged.
 */
export function hl7Time(value: string, profile: SourceProfile, atPosition: string, flags: QualityFlag[]): SourceTime | undefined {
  if (value.trim() === '' || value === '""') return undefined;
  const parts = parseDtm(value);
  if (!parts) {
    flag(flags, 'timestamp-unparseable', atPosition);
    return undefined;
  }
  if (parts.offsetMinutes === undefined && HAS_TIME_OF_DAY.has(parts.precision) && profile.timeZone === DEFAULT_PROFILE.timeZone) {
    flag(flags, 'timestamp-zone-assumed', atPosition);
  }
  return toSourceTime(parts, profile);
}

/**
 * PID-7 as an FHIR date (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`): the calendar date the source wrote, whatever time and
 * offset follow it. A date after today (in the profile's zone) is dropped and flagged rather than kept: a future birth
 * date is always a data-entry error and would mislead matching.
 */
export function birthDate(value: string, profile: SourceProfile, now: Date, atPosition: string, flags: QualityFlag[]): string | undefined {
  if (value.trim() === '' || value === '""') return undefined;
  const p = parseDtm(value);
  if (!p) {
    flag(flags, 'birth-date-unparseable', atPosition);
    return undefined;
  }
  const pad = (n: number, w: number) => String(n).padStart(w, '0');
  let date = pad(p.year, 4);
  if (p.precision !== 'year') date += `-${pad(p.month, 2)}`;
  if (p.precision !== 'year' && p.precision !== 'month') date += `-${pad(p.day, 2)}`;
  const today = new Date(now.getTime() + zoneOffsetMinutes(profileZone(profile), now.getTime()) * 60_000).toISOString().slice(0, 10);
  if (date > today.slice(0, date.length)) {
    flag(flags, 'birth-date-in-future', atPosition);
    return undefined;
  }
  return date;
}
