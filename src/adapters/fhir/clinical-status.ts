import type { QualityFlag } from '../../model/quality.ts';
import { firstCode } from './codes.ts';
import { flag } from './flags.ts';
import type { JsonObject } from './json.ts';

/**
 * AllergyIntolerance and Condition have no single status: clinicalStatus says whether it is current, and
 * verificationStatus whether it was ever true. A record entered in error, or refuted, must never read as an active
 * allergy or problem whatever its clinical status says, so those two win; otherwise the clinical status is the fact's
 * status. Neither → `unknown`, flagged.
 */
export function clinicalStatus(r: JsonObject, base: string, allowed: readonly string[], flags: QualityFlag[]): string {
  const verification = firstCode(r['verificationStatus']);
  if (verification === 'entered-in-error' || verification === 'refuted') return verification;
  const code = firstCode(r['clinicalStatus']);
  if (code !== undefined && allowed.includes(code)) return code;
  flag(flags, 'status-unknown', `${base}.clinicalStatus`);
  return 'unknown';
}
