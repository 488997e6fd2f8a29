import { validate as isUuid } from 'uuid';
import { VigilError } from '../../../errors.ts';
import type { ClinicalType } from '../resource-types.ts';
import { parseDateBound, type DateBound } from './date-param.ts';

/**
 * FHIR search parameters of the clinical face, parsed into what the queries need. Refusals name the parameter (from
 * Vigil's own list) and never the value the caller sent: values can be anything, names and dates of people included.
 */
export class InvalidSearchError extends VigilError {
  constructor(message: string) {
    super('invalid-search', 400, message);
  }
}

export interface TokenParam {
  system?: string;
  code: string;
}

export interface ClinicalSearch {
  patientId?: string;
  codes: TokenParam[];
  statuses: string[];
  dates: DateBound[];
  categories: TokenParam[];
  count: number;
  offset: number;
}

export interface SearchParamSpec {
  name: string;
  type: 'reference' | 'token' | 'date' | 'number' | 'string';
  documentation: string;
}

export const DEFAULT_COUNT = 20;
export const MAX_COUNT = 100;
export const MAX_OFFSET = 10_000;
const MAX_ALTERNATIVES = 20;

const PAGING: SearchParamSpec[] = [
  { name: '_count', type: 'number', documentation: `Page size, 0 to ${MAX_COUNT} (default ${DEFAULT_COUNT}); 0 answers the total only.` },
  { name: '_offset', type: 'number', documentation: `Where the page starts, 0 to ${MAX_OFFSET}.` },
];
const PATIENT: SearchParamSpec[] = [
  { name: 'patient', type: 'reference', documentation: 'Patient/<id> or <id>. Without it the search spans every patient whose chart you may open.' },
  { name: 'subject', type: 'reference', documentation: 'Same as patient.' },
];
const CODE: SearchParamSpec = { name: 'code', type: 'token', documentation: '[system]|code or code; alternatives separated by commas. Matches any coding, the source\'s own included.' };
const STATUS: SearchParamSpec = { name: 'status', type: 'token', documentation: 'FHIR status codes, alternatives separated by commas.' };
const DATE: SearchParamSpec = { name: 'date', type: 'date', documentation: 'Clinically relevant time with a prefix (eq, ne, lt, le, gt, ge, sa, eb); may be given twice for a range.' };
const CATEGORY: SearchParamSpec = { name: 'category', type: 'token', documentation: 'Category code, alternatives separated by commas.' };
const CLINICAL_STATUS: SearchParamSpec = { name: 'clinical-status', type: 'token', documentation: 'Same as status.' };

const FACT_PARAMS = [...PATIENT, CODE, STATUS, DATE, ...PAGING];

export const SEARCH_PARAMS: Record<ClinicalType, readonly SearchParamSpec[]> = {
  Encounter: [...PATIENT, { ...STATUS, documentation: 'planned, in-progress, finished or cancelled.' }, { ...DATE, documentation: 'Start of the encounter, with a prefix; may be given twice.' }, ...PAGING],
  Observation: [...FACT_PARAMS, { ...CATEGORY, documentation: 'laboratory, vital-signs, imaging, procedure, therapy … (FHIR observation-category).' }],
  DiagnosticReport: [...FACT_PARAMS, { ...CATEGORY, documentation: 'Diagnostic service section (HL7 v2 table 0074), e.g. LAB, CH, HM.' }],
  MedicationRequest: FACT_PARAMS,
  MedicationAdministration: FACT_PARAMS,
  MedicationStatement: FACT_PARAMS,
  MedicationDispense: FACT_PARAMS,
  AllergyIntolerance: [...FACT_PARAMS, CLINICAL_STATUS, { ...CATEGORY, documentation: 'food, medication, environment or biologic.' }],
  Condition: [...FACT_PARAMS, CLINICAL_STATUS, { ...CATEGORY, documentation: 'problem-list-item or encounter-diagnosis.' }],
  DocumentReference: FACT_PARAMS,
};

const TOKEN_VALUE = /^[^\s|,]{1,200}$/;
const STATUS_VALUE = /^[a-z][a-z-]{0,39}$/;
const PATIENT_REF = /^(?:.*\/)?Patient\/([0-9a-fA-F-]{36})$/;

type RawQuery = Record<string, unknown>;

function single(query: RawQuery, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new InvalidSearchError(`${name} may be given once; separate alternatives with commas.`);
  if (value === '') throw new InvalidSearchError(`${name} is empty.`);
  return value;
}

function alternatives(name: string, value: string): string[] {
  const parts = value.split(',');
  if (parts.length > MAX_ALTERNATIVES) throw new InvalidSearchError(`${name} takes at most ${MAX_ALTERNATIVES} alternatives.`);
  return parts;
}

export function parseTokens(name: string, value: string | undefined): TokenParam[] {
  if (value === undefined) return [];
  return alternatives(name, value).map((part) => {
    const bar = part.indexOf('|');
    const system = bar >= 0 ? part.slice(0, bar) : undefined;
    const code = bar >= 0 ? part.slice(bar + 1) : part;
    if (!TOKEN_VALUE.test(code) || (system !== undefined && system !== '' && !TOKEN_VALUE.test(system))) {
      throw new InvalidSearchError(`${name} must be code or system|code (no spaces; alternatives separated by commas).`);
    }
    return system ? { system, code } : { code };
  });
}

export function parsePatientRef(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const id = PATIENT_REF.exec(value)?.[1] ?? value;
  if (!isUuid(id)) throw new InvalidSearchError(`${name} must be one Patient id or Patient/<id>.`);
  return id.toLowerCase();
}

export function parseBound(name: string, value: string | undefined, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,6}$/.test(value) || Number(value) > max) throw new InvalidSearchError(`${name} must be a whole number from 0 to ${max}.`);
  return Number(value);
}

function parseDates(query: RawQuery): DateBound[] {
  const raw = query['date'];
  if (raw === undefined) return [];
  const values = Array.isArray(raw) ? raw : [raw];
  if (values.length > 2) throw new InvalidSearchError('date may be given at most twice (a range).');
  return values.map((v) => {
    const bound = typeof v === 'string' ? parseDateBound(v) : undefined;
    if (!bound) throw new InvalidSearchError('date must be a FHIR date or dateTime, optionally after a prefix (eq, ne, lt, le, gt, ge, sa, eb), e.g. ge2024-01-01.');
    return bound;
  });
}

/** Parses a search on `type`; any parameter the type does not support is refused rather than ignored. */
export function parseSearch(type: ClinicalType, query: RawQuery): ClinicalSearch {
  const supported = new Set(SEARCH_PARAMS[type].map((p) => p.name));
  for (const name of Object.keys(query)) {
    if (!supported.has(name)) throw new InvalidSearchError(`${type} does not support a search parameter that was sent; supported: ${[...supported].join(', ')}.`);
  }
  const patient = parsePatientRef('patient', single(query, 'patient'));
  const subject = parsePatientRef('subject', single(query, 'subject'));
  if (patient && subject && patient !== subject) throw new InvalidSearchError('patient and subject name different patients.');
  const statusText = single(query, 'status');
  const clinicalStatus = single(query, 'clinical-status');
  if (statusText && clinicalStatus) throw new InvalidSearchError('Send status or clinical-status, not both.');
  const statuses = alternatives('status', statusText ?? clinicalStatus ?? '').filter((s) => s !== '');
  if (statuses.some((s) => !STATUS_VALUE.test(s))) throw new InvalidSearchError('status must be FHIR status codes separated by commas.');
  const id = patient ?? subject;
  return {
    ...(id ? { patientId: id } : {}),
    codes: parseTokens('code', single(query, 'code')),
    statuses,
    dates: parseDates(query),
    categories: parseTokens('category', single(query, 'category')),
    count: parseBound('_count', single(query, '_count'), MAX_COUNT, DEFAULT_COUNT),
    offset: parseBound('_offset', single(query, '_offset'), MAX_OFFSET, 0),
  };
}

const tokenText = (t: TokenParam) => (t.system ? `${t.system}|${t.code}` : t.code);

/** The search as query parameters, rebuilt from what was parsed (never the raw input), for the Bundle's links. */
export function searchParamsOf(search: ClinicalSearch): URLSearchParams {
  const params = new URLSearchParams();
  if (search.patientId) params.set('patient', search.patientId);
  if (search.codes.length) params.set('code', search.codes.map(tokenText).join(','));
  if (search.statuses.length) params.set('status', search.statuses.join(','));
  for (const d of search.dates) params.append('date', d.text);
  if (search.categories.length) params.set('category', search.categories.map(tokenText).join(','));
  params.set('_count', String(search.count));
  return params;
}

/** The search as it goes on the audit trail. */
export function auditQueryOf(type: ClinicalType, search: ClinicalSearch): Record<string, unknown> {
  return {
    type,
    ...(search.patientId ? { patient: search.patientId } : {}),
    ...(search.codes.length ? { code: search.codes.map(tokenText) } : {}),
    ...(search.statuses.length ? { status: search.statuses } : {}),
    ...(search.dates.length ? { date: search.dates.map((d) => d.text) } : {}),
    ...(search.categories.length ? { category: search.categories.map(tokenText) } : {}),
    _count: search.count,
    _offset: search.offset,
  };
}
