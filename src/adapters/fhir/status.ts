import type { QualityFlag } from '../../model/quality.ts';
import { flag } from './flags.ts';

/**
 * A status code checked against the value set of its resource type. FHIR statuses are the model's own, so a known
 * one is kept as it is; anything else (or none) becomes `unknown`, flagged, rather than a status Vigil made up.
 */
export function statusOf(value: unknown, allowed: ReadonlySet<string>, at: string, flags: QualityFlag[]): string {
  if (typeof value === 'string' && allowed.has(value.trim())) return value.trim();
  flag(flags, 'status-unknown', at);
  return 'unknown';
}

export const statuses = (...codes: string[]): ReadonlySet<string> => new Set(codes);
