import type { NormalizedMessage } from '../../model/clinical.ts';
import type { QualityFlag } from '../../model/quality.ts';
import { profileZone } from '../hl7v2/map/time.ts';
import { readPayload } from './bundle.ts';
import type { FhirMapContext } from './context.ts';
import { mapEntries, type FhirEntryResult } from './entries.ts';
import { FhirMappingError, issue } from './errors.ts';
import { FACT_MAPPERS } from './resources.ts';
import { fhirTime } from './time.ts';

export type { FhirMapContext } from './context.ts';
export type { FhirEntryResult } from './entries.ts';
export { FhirMappingError, type FhirIssue, type FhirIssueCode } from './errors.ts';
export { SourceProfileError } from '../hl7v2/map/errors.ts';
export { splitNdjson, type NdjsonLines } from './ndjson.ts';
export { sourcePatientIdSystem } from './identifiers.ts';

export type FhirMapOutcome = { ok: true; normalized: NormalizedMessage; entries: FhirEntryResult[] } | { ok: false; error: FhirMappingError };

/** Resource types that become part of the normalized model; any other R4 type is reported as `ignored`. */
export const SUPPORTED_RESOURCES: readonly string[] = Object.freeze(['Patient', 'Encounter', ...Object.keys(FACT_MAPPERS)]);

/**
 * Turns a FHIR R4 payload — a transaction, batch, collection or searchset Bundle, or a single resource — into the
 * normalized model: a pure function of the JSON, the source profile and the clock.
 *
 * Refused (`ok: false`) when the payload is not structurally acceptable (400-style issues), or when it is all-or-nothing
 * (a transaction, a single resource) and an entry cannot be mapped (422-style issues). A batch, collection or
 * searchset maps what it can and reports the rest per entry. Issues and reasons name FHIRPath positions and rules,
 * never values. Throws only SourceProfileError (the profile's zone is not an IANA zone): Vigil's fault, not the
 * sender's, so the payload must be kept and replayed once the profile is fixed.
 */
export function mapFhirPayload(json: unknown, ctx: FhirMapContext): FhirMapOutcome {
  profileZone(ctx.profile);
  const read = readPayload(json);
  if (!read.ok) return { ok: false, error: new FhirMappingError('structure', read.issues) };
  const { payload } = read;
  const mapped = mapEntries(payload, ctx);
  if (payload.allOrNothing && mapped.refusals.length > 0) {
    return { ok: false, error: new FhirMappingError('entries', mapped.refusals.map((r) => issue(r.code, r.expression, r.diagnostics))) };
  }
  const flags: QualityFlag[] = [];
  const sourceTime = payload.time && fhirTime(payload.time.value, ctx, payload.time.at, flags);
  return {
    ok: true,
    normalized: { ...(sourceTime ? { sourceTime } : {}), event: payload.event, groups: mapped.groups, merges: mapped.merges, flags },
    entries: mapped.results,
  };
}
