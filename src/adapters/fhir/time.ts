import type { QualityFlag } from '../../model/quality.ts';
import type { SourceTime } from '../../model/time.ts';
import { birthDate, parseDtm, toSourceTime } from '../hl7v2/map/time.ts';
import type { FhirMapContext } from './context.ts';
import { flag } from './flags.ts';
import { objectAt, type JsonObject } from './json.ts';

/**
 * FHIR date, dateTime and instant: `YYYY[-MM[-DD[Thh:mm[:ss[.fff]][Z|±hh:mm]]]]`. Minutes without seconds and a time
 * without an offset are not valid FHIR but are read anyway (flagged below) rather than losing the time.
 */
const FHIR_DATE_TIME = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/** The same reading as HL7 DTM text, so one parser and one set of DST rules serve both adapters. */
function asDtm(value: string): string | undefined {
  const m = FHIR_DATE_TIME.exec(value);
  if (!m) return undefined;
  const offset = m[8] === undefined ? '' : m[8] === 'Z' ? '+0000' : m[8].replace(':', '');
  return [m[1], m[2], m[3], m[4], m[5], m[6], m[7]].map((p) => p ?? '').join('') + offset;
}

/**
 * A FHIR date/dateTime/instant as a SourceTime. With an offset the zone is stated; a date alone, or a time without an
 * offset, is read in the profile's zone. A time of day without an offset breaks FHIR's own rule, so unlike a naive
 * HL7 timestamp it is always flagged `timestamp-zone-assumed`: the sender was expected to say the zone.
 */
export function fhirTime(value: unknown, ctx: FhirMapContext, at: string, flags: QualityFlag[]): SourceTime | undefined {
  if (value === undefined || value === null) return undefined;
  const dtm = typeof value === 'string' ? asDtm(value.trim()) : undefined;
  const parts = dtm === undefined ? undefined : parseDtm(dtm);
  if (!parts) {
    flag(flags, 'timestamp-unparseable', at);
    return undefined;
  }
  if (parts.offsetMinutes === undefined && parts.precision !== 'year' && parts.precision !== 'month' && parts.precision !== 'day') {
    flag(flags, 'timestamp-zone-assumed', at);
  }
  return toSourceTime(parts, ctx.profile);
}

/** `Period.start` and `Period.end` of the element `key`; undefined when neither is there. */
export function fhirPeriod(o: JsonObject, key: string, ctx: FhirMapContext, at: string, flags: QualityFlag[]): { start?: SourceTime; end?: SourceTime } | undefined {
  const period = objectAt(o, key);
  if (!period) return undefined;
  const start = fhirTime(period['start'], ctx, `${at}.${key}.start`, flags);
  const end = fhirTime(period['end'], ctx, `${at}.${key}.end`, flags);
  if (!start && !end) return undefined;
  return { ...(start ? { start } : {}), ...(end ? { end } : {}) };
}

const FHIR_DATE = /^\d{4}(?:-\d{2}(?:-\d{2})?)?$/;

/**
 * Patient.birthDate (a FHIR date). Validated and judged against the clock by the HL7 mapper's rule, so both adapters
 * drop a future birth date the same way (`birth-date-in-future`) and flag what is not a date (`birth-date-unparseable`).
 */
export function fhirBirthDate(value: unknown, ctx: FhirMapContext, at: string, flags: QualityFlag[]): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !FHIR_DATE.test(value.trim())) {
    flag(flags, 'birth-date-unparseable', at);
    return undefined;
  }
  return birthDate(value.trim().replaceAll('-', ''), ctx.profile, ctx.now, at, flags);
}
