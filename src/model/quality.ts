/**
 * What a transform noticed about input it normalized anyway. Every flag lowers trust in the fact or record it is
 * attached to; none carries the offending value (flags end up in provenance, metrics and operator screens).
 */
export type QualityFlagCode =
  | 'birth-date-in-future'
  | 'birth-date-unparseable'
  | 'sex-code-unknown'
  | 'name-case-normalized'
  | 'name-whitespace-trimmed'
  | 'identifier-authority-missing'
  | 'identifier-authority-defaulted'
  | 'timestamp-zone-assumed'
  | 'timestamp-unparseable'
  | 'code-unmapped'
  | 'code-mapped-by-profile'
  | 'dose-parsed-from-text'
  | 'status-unknown'
  | 'value-type-unknown'
  | 'table-value-unknown'
  | 'segment-ignored'
  | 'absent-from-active-list';

export interface QualityFlag {
  code: QualityFlagCode;
  /** Where in the source it applies, e.g. `PID-7`, `OBX[2]-11`. Never the value. */
  at?: string;
}

/** Confidence a transform assigns when it had to guess; 1 when the source said it plainly. */
export function confidenceOf(flags: readonly QualityFlag[]): number {
  let confidence = 1;
  for (const flag of flags) confidence = Math.min(confidence, FLAG_CONFIDENCE[flag.code]);
  return confidence;
}

const FLAG_CONFIDENCE: Record<QualityFlagCode, number> = {
  'birth-date-in-future': 0.5,
  'birth-date-unparseable': 0.5,
  'sex-code-unknown': 0.8,
  'name-case-normalized': 0.95,
  'name-whitespace-trimmed': 1,
  'identifier-authority-missing': 0.6,
  'identifier-authority-defaulted': 0.9,
  'timestamp-zone-assumed': 0.95,
  'timestamp-unparseable': 0.5,
  'code-unmapped': 0.8,
  'code-mapped-by-profile': 0.9,
  'dose-parsed-from-text': 0.7,
  'status-unknown': 0.6,
  'value-type-unknown': 0.7,
  'table-value-unknown': 0.8,
  'segment-ignored': 1,
  // An active-only source's later list left the medication out: Vigil infers it stopped, which no one stated.
  'absent-from-active-list': 0.6,
};

/** The confidence one flag allows, for writers that apply a flag's effect in SQL. */
export function flagConfidence(code: QualityFlagCode): number {
  return FLAG_CONFIDENCE[code];
}
