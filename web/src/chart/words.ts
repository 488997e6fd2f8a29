import type { PillTone } from '../components/Pill.tsx';
import type { QualityFlagCode } from './types.ts';

/**
 * Words for the chart's codes: statuses, result flags, derivations, quality flags. A clinician reads words, never a
 * colour alone and never a code alone; a code this file does not know is shown as the server sent it.
 */

export interface StatusWords {
  label: string;
  /** Tone of the pill; `none` is plain text, for the state a chart is expected to be in (final, active). */
  tone: PillTone | 'none';
}

const RESULT_STATUS: Record<string, StatusWords> = {
  registered: { label: 'Registered, no result yet', tone: 'info' },
  partial: { label: 'Partial', tone: 'warn' },
  preliminary: { label: 'Preliminary', tone: 'warn' },
  final: { label: 'Final', tone: 'none' },
  amended: { label: 'Amended', tone: 'info' },
  corrected: { label: 'Corrected', tone: 'info' },
  appended: { label: 'Appended', tone: 'info' },
  cancelled: { label: 'Cancelled', tone: 'unknown' },
  'entered-in-error': { label: 'Entered in error', tone: 'bad' },
  unknown: { label: 'Status unknown', tone: 'unknown' },
};

const MEDICATION_STATUS: Record<string, StatusWords> = {
  active: { label: 'Active', tone: 'none' },
  'on-hold': { label: 'On hold', tone: 'warn' },
  cancelled: { label: 'Cancelled', tone: 'unknown' },
  completed: { label: 'Completed', tone: 'none' },
  'entered-in-error': { label: 'Entered in error', tone: 'bad' },
  stopped: { label: 'Stopped', tone: 'unknown' },
  draft: { label: 'Draft', tone: 'info' },
  'in-progress': { label: 'In progress', tone: 'info' },
  'not-done': { label: 'Not given', tone: 'warn' },
  'not-taken': { label: 'Not taken', tone: 'warn' },
  intended: { label: 'Intended', tone: 'info' },
  declined: { label: 'Declined', tone: 'warn' },
  preparation: { label: 'Being prepared', tone: 'info' },
  unknown: { label: 'Status unknown', tone: 'unknown' },
};

const CLINICAL_STATUS: Record<string, StatusWords> = {
  active: { label: 'Active', tone: 'none' },
  recurrence: { label: 'Recurrence', tone: 'none' },
  relapse: { label: 'Relapse', tone: 'none' },
  inactive: { label: 'Inactive', tone: 'unknown' },
  remission: { label: 'In remission', tone: 'unknown' },
  resolved: { label: 'Resolved', tone: 'unknown' },
  confirmed: { label: 'Confirmed', tone: 'none' },
  unconfirmed: { label: 'Unconfirmed', tone: 'warn' },
  provisional: { label: 'Provisional', tone: 'warn' },
  differential: { label: 'Differential', tone: 'warn' },
  refuted: { label: 'Refuted', tone: 'unknown' },
  'entered-in-error': { label: 'Entered in error', tone: 'bad' },
  unknown: { label: 'Status unknown', tone: 'unknown' },
};

const DOCUMENT_STATUS: Record<string, StatusWords> = {
  current: { label: 'Current', tone: 'none' },
  superseded: { label: 'Superseded', tone: 'unknown' },
  'entered-in-error': { label: 'Entered in error', tone: 'bad' },
};

const ENCOUNTER_STATUS: Record<string, StatusWords> = {
  planned: { label: 'Planned', tone: 'info' },
  'in-progress': { label: 'In progress', tone: 'ok' },
  finished: { label: 'Finished', tone: 'none' },
  cancelled: { label: 'Cancelled', tone: 'unknown' },
};

function wordsOf(table: Record<string, StatusWords>, status: string): StatusWords {
  return Object.hasOwn(table, status) ? table[status]! : { label: status, tone: 'unknown' };
}

export function statusWords(kind: string, status: string): StatusWords {
  if (kind === 'observation' || kind === 'diagnostic-report') return wordsOf(RESULT_STATUS, status);
  if (kind.startsWith('medication-')) return wordsOf(MEDICATION_STATUS, status);
  if (kind === 'allergy' || kind === 'condition') return wordsOf(CLINICAL_STATUS, status);
  if (kind === 'document') return wordsOf(DOCUMENT_STATUS, status);
  if (kind === 'encounter') return wordsOf(ENCOUNTER_STATUS, status);
  return { label: status, tone: 'unknown' };
}

/** How far a result lies outside its range, for the flag column: the glyph repeats the word for a quick scan. */
export type FlagSeverity = 'critical' | 'abnormal' | 'normal' | 'other';

export interface FlagWords {
  label: string;
  glyph: string;
  severity: FlagSeverity;
}

const FLAGS: Record<string, FlagWords> = {
  N: { label: 'Normal', glyph: '', severity: 'normal' },
  L: { label: 'Low', glyph: '▼', severity: 'abnormal' },
  H: { label: 'High', glyph: '▲', severity: 'abnormal' },
  LL: { label: 'Critically low', glyph: '▼▼', severity: 'critical' },
  HH: { label: 'Critically high', glyph: '▲▲', severity: 'critical' },
  LU: { label: 'Significantly low', glyph: '▼', severity: 'abnormal' },
  HU: { label: 'Significantly high', glyph: '▲', severity: 'abnormal' },
  '<': { label: 'Below the measurable range', glyph: '▼', severity: 'abnormal' },
  '>': { label: 'Above the measurable range', glyph: '▲', severity: 'abnormal' },
  A: { label: 'Abnormal', glyph: '!', severity: 'abnormal' },
  AA: { label: 'Critically abnormal', glyph: '!!', severity: 'critical' },
  U: { label: 'Significant change up', glyph: '↑', severity: 'other' },
  D: { label: 'Significant change down', glyph: '↓', severity: 'other' },
  B: { label: 'Better', glyph: '', severity: 'other' },
  W: { label: 'Worse', glyph: '', severity: 'abnormal' },
  S: { label: 'Susceptible', glyph: '', severity: 'other' },
  R: { label: 'Resistant', glyph: '', severity: 'abnormal' },
  I: { label: 'Intermediate', glyph: '', severity: 'other' },
  POS: { label: 'Positive', glyph: '', severity: 'abnormal' },
  NEG: { label: 'Negative', glyph: '', severity: 'normal' },
  DET: { label: 'Detected', glyph: '', severity: 'abnormal' },
  ND: { label: 'Not detected', glyph: '', severity: 'normal' },
  IND: { label: 'Indeterminate', glyph: '?', severity: 'other' },
};

export function flagWords(code: string | undefined): FlagWords | undefined {
  if (!code) return undefined;
  return Object.hasOwn(FLAGS, code) ? FLAGS[code]! : { label: `Flag ${code}`, glyph: '', severity: 'other' };
}

/** The derivation of a fact, in words a clinician can weigh. */
export interface DerivationWords {
  /** Beside the source's name on the chart: one word. */
  short: string;
  label: string;
  long: string;
}

export const DERIVATION_WORDS: Record<string, DerivationWords> = {
  asserted: { short: 'stated', label: 'Stated by the source', long: 'The source system stated this.' },
  merged: { short: 'combined', label: 'Combined by Vigil', long: 'Vigil combined this from several statements; no single source stated it as shown.' },
  inferred: { short: 'inferred', label: 'Inferred by Vigil', long: 'Vigil inferred this; no source stated it. Confirm it before you act on it.' },
  entered: { short: 'entered', label: 'Entered in Vigil', long: 'A person entered this in Vigil.' },
};

export function derivationWords(derivation: string): DerivationWords {
  return DERIVATION_WORDS[derivation] ?? { short: derivation, label: derivation, long: derivation };
}

/** What a transform noticed while normalizing. Typed against the server's list: a new flag fails the build here. */
export const QUALITY_FLAG_WORDS: Record<QualityFlagCode, string> = {
  'birth-date-in-future': 'The birth date was in the future',
  'birth-date-unparseable': 'The birth date could not be read',
  'sex-code-unknown': 'The sex code was not recognised',
  'name-case-normalized': 'The name’s capitals were changed',
  'name-whitespace-trimmed': 'Spaces were trimmed from the name',
  'identifier-authority-missing': 'An identifier came without its issuer',
  'identifier-authority-defaulted': 'An identifier’s issuer was taken from the source profile',
  'timestamp-zone-assumed': 'A time came without a zone; the source’s usual zone was assumed',
  'timestamp-unparseable': 'A time could not be read',
  'code-unmapped': 'The code is the source’s own, not mapped to a standard code',
  'code-mapped-by-profile': 'The code was mapped by the source profile, not sent as a standard code',
  'dose-parsed-from-text': 'The dose was read from free text',
  'status-unknown': 'The status was not recognised',
  'value-type-unknown': 'The value’s type was not recognised',
  'table-value-unknown': 'A coded value was not in the table the source profile names',
  'segment-ignored': 'Part of the message was not used',
  'absent-from-active-list': 'A later list of active medications from this source left it out, so Vigil marks it stopped',
};

export function qualityFlagText(code: string): string {
  return Object.hasOwn(QUALITY_FLAG_WORDS, code) ? QUALITY_FLAG_WORDS[code as QualityFlagCode] : code;
}

const ENCOUNTER_CLASS: Record<string, string> = {
  inpatient: 'Inpatient',
  IMP: 'Inpatient',
  outpatient: 'Outpatient',
  AMB: 'Outpatient',
  emergency: 'Emergency',
  EMER: 'Emergency',
  preadmit: 'Pre-admission',
  PRENC: 'Pre-admission',
  recurring: 'Recurring',
  other: 'Other',
};

export function encounterClassText(code: string): string {
  return ENCOUNTER_CLASS[code] ?? code;
}

export const ALLERGY_CATEGORY: Record<string, string> = { food: 'Food', medication: 'Medication', environment: 'Environment', biologic: 'Biologic' };
export const CRITICALITY: Record<string, string> = { low: 'Low criticality', high: 'High criticality', 'unable-to-assess': 'Criticality not assessed' };
export const CONDITION_CATEGORY: Record<string, string> = { 'problem-list-item': 'Problem list', 'encounter-diagnosis': 'Encounter diagnosis' };

/** Identifier systems a clinician recognises by name; others show their system. */
const IDENTIFIER_SYSTEMS: Record<string, string> = {
  'urn:oid:2.16.840.1.113883.19.5': 'MRN',
  'urn:oid:2.16.840.1.113883.4.1': 'SSN',
  'http://hl7.org/fhir/sid/us-ssn': 'SSN',
};

export function identifierSystemName(system: string): string | undefined {
  return IDENTIFIER_SYSTEMS[system];
}
