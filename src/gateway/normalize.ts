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

export function normalizeRaw(raw: Uint8Array, transport: GatewayTransport, profile: SourceProfile, sourceId: string, now: Date): NormalizedMessage {
  if (transport === 'fhir') throw new PermanentMessageError('adapter-missing', 'FHIR inbound messages are not processed by this build yet.');
  let message;
  try {
    // MLLP frames and operator copies hold exactly one message, so a missing final terminator means a cut message.
    message = parseHl7Message(raw, { requireTerminator: transport === 'mllp' });
  } catch (err) {
    if (err instanceof VigilError) throw new PermanentMessageError(`parse-${err.code}`, err.message);
    throw err;
  }
  const mapped = mapHl7Message(message, { profile, sourceId, now });
  if (!mapped.ok) throw new PermanentMessageError(`map-${mapped.error.kind}`, mapped.error.message);
  return mapped.normalized;
}
