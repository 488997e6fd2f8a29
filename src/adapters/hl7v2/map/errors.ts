import { VigilError } from '../../../errors.ts';

export type Hl7MappingErrorKind = 'unsupported-event' | 'missing-required' | 'invalid-value';

/**
 * HL7 table 0357 (message error condition codes) as far as mapping can raise them: 101 required field missing,
 * 102 data type error, 103 table value not found, 200 unsupported message type, 201 unsupported event code.
 */
export type Hl7ErrorCode = 101 | 102 | 103 | 200 | 201;

/** Where the problem is, by HL7 position only. Everything here ends up in an ERR segment and operator screens. */
export interface Hl7MappingLocation {
  segment: string;
  /** 1-based occurrence of the segment in the message; absent means the first (or the segment is missing). */
  occurrence?: number;
  field?: number;
  component?: number;
}

/**
 * A parsed message that cannot be turned into normalized facts. `reason` is written for the integration operator and,
 * like every VigilError message, names positions and rules but never a value taken from the message.
 * AR tells the sender not to resend this message type to us; AE says this message has an application-level fault.
 */
export class Hl7MappingError extends VigilError {
  readonly kind: Hl7MappingErrorKind;
  readonly ackCode: 'AR' | 'AE';
  readonly hl7ErrorCode: Hl7ErrorCode;
  readonly location: Hl7MappingLocation;
  readonly reason: string;

  constructor(kind: Hl7MappingErrorKind, hl7ErrorCode: Hl7ErrorCode, location: Hl7MappingLocation, reason: string) {
    super(`hl7-${kind}`, 422, `HL7 v2 message not mapped (${kind}) at ${describeLocation(location)}: ${reason}`);
    this.kind = kind;
    this.ackCode = kind === 'unsupported-event' ? 'AR' : 'AE';
    this.hl7ErrorCode = hl7ErrorCode;
    this.location = location;
    this.reason = reason;
  }

  static missing(location: Hl7MappingLocation, reason: string): Hl7MappingError {
    return new Hl7MappingError('missing-required', 101, location, reason);
  }

  static invalid(location: Hl7MappingLocation, reason: string, code: 102 | 103 = 102): Hl7MappingError {
    return new Hl7MappingError('invalid-value', code, location, reason);
  }
}

/** `PID-3`, `OBR[2]-3`, `MSH-9.2`: the same notation as Hl7Message.get() paths. */
export function describeLocation(l: Hl7MappingLocation): string {
  let out = l.occurrence !== undefined && l.occurrence > 1 ? `${l.segment}[${l.occurrence}]` : l.segment;
  if (l.field !== undefined) out += `-${l.field}`;
  if (l.field !== undefined && l.component !== undefined) out += `.${l.component}`;
  return out;
}

/**
 * The profile handed to the mapper is unusable. This is Vigil's configuration fault, not the sender's, so it is thrown
 * rather than returned: the gateway must keep the message and retry once the profile is fixed, never NACK it.
 */
export class SourceProfileError extends VigilError {
  constructor(message: string) {
    super('source-profile-invalid', 500, message);
  }
}
