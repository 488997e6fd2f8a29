import { mapFhirPayload } from '../adapters/fhir/index.ts';
import { mapHl7Message } from '../adapters/hl7v2/map/index.ts';
import { parseHl7Message } from '../adapters/hl7v2/parse.ts';
import type { SourceProfile } from '../adapters/source-profile.ts';
import { VigilError } from '../errors.ts';
import type { NormalizedMessage } from '../model/clinical.ts';
import type { GatewayTransport } from '../store/schema.ts';

/**
 * Picks the adapter for a stored message and runs it. A permanent failure (cannot be parsed, cannot be mapped) is a
 * `PermanentMessageError`: retrying cannot help, so the message goes to quarantine with a reason a person can act on.
 */
export class PermanentMessageError extends VigilError {
  constructor(
    readonly reasonCode: string,
    reason: string,
  ) {
    super(reasonCode, 422, reason);
  }
}

export const HL7_TRANSFORM = 'hl7v2-map@1';

export const FHIR_TRANSFORM = 'fhir-r4-map@1';

/** FHIR JSON starts with `{` (after any whitespace or byte-order mark); everything else in the inbox is HL7 v2. */
export function isFhirPayload(raw: Uint8Array): boolean {
  for (const byte of raw) {
    if (byte === 0x7b) return true;
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d && byte !== 0xef && byte !== 0xbb && byte !== 0xbf) return false;
  }
  return false;
}

export function transformOf(raw: Uint8Array): string {
  return isFhirPayload(raw) ? FHIR_TRANSFORM : HL7_TRANSFORM;
}

function normalizeFhir(raw: Uint8Array, profile: SourceProfile, sourceId: string, now: Date): NormalizedMessage {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(raw).toString('utf8').replace(/^\uFEFF/, ''));
  } catch {
    // JSON.parse's own message can quote the input; this one cannot.
    throw new PermanentMessageError('parse-malformed-json', 'The FHIR payload is not valid JSON.');
  }
  const mapped = mapFhirPayload(json, { profile, sourceId, now });
  if (!mapped.ok) throw new PermanentMessageError(mapped.error.code, mapped.error.message);
  return mapped.normalized;
}

export function normalizeRaw(raw: Uint8Array, transport: GatewayTransport, profile: SourceProfile, sourceId: string, now: Date): NormalizedMessage {
  if (transport === 'fhir' || isFhirPayload(raw)) return normalizeFhir(raw, profile, sourceId, now);
  let message;
  try {
    // A missing final terminator is refused only for sources that promise one (see SourceProfile).
    message = parseHl7Message(raw, { requireTerminator: profile.requireSegmentTerminator === true && transport !== 'file' });
  } catch (err) {
    if (err instanceof VigilError) throw new PermanentMessageError(err.code.startsWith('hl7-') ? `parse-${err.code.slice(4)}` : `parse-${err.code}`, err.message);
    throw err;
  }
  const mapped = mapHl7Message(message, { profile, sourceId, now });
  if (!mapped.ok) throw new PermanentMessageError(`map-${mapped.error.kind}`, mapped.error.message);
  return mapped.normalized;
}
