import { VigilError } from '../../errors.ts';

/**
 * Why a message was refused. `truncated` means the input most likely stopped before the sender finished it;
 * `malformed` means it is complete but not HL7 v2 we can read safely; `unsupported-version` is HL7's own reason for AR.
 */
export type Hl7RejectKind = 'truncated' | 'malformed' | 'unsupported-version';

export type Hl7RejectReason =
  | 'empty-input'
  | 'no-header-segment'
  | 'invalid-field-separator'
  | 'invalid-encoding-characters'
  | 'invalid-segment-id'
  | 'required-field-missing'
  | 'unsupported-version'
  | 'missing-body'
  | 'segment-separator-missing'
  | 'unterminated-final-segment'
  | 'cut-in-escape-sequence'
  | 'multiple-messages'
  | 'batch-structure'
  | 'batch-trailer-missing'
  | 'batch-count-mismatch';

export interface Hl7ErrorLocation {
  /** 1-based index of the segment within the message (or within the input, for batch envelope faults). */
  segmentIndex?: number;
  /** Only ever a well-formed segment id (3 upper-case alphanumerics), never text taken from a broken segment. */
  segmentId?: string;
  /** HL7 field name such as `MSH-9`; positions only, never values. */
  field?: string;
  /** 1-based index of the message inside a batch input. */
  messageIndex?: number;
}

/**
 * A message refused by the HL7 v2 parser. The message text names positions and reasons only: it is written so the
 * gateway can put it in an ERR segment, a quarantine reason or a log line without carrying PHI.
 * Every refusal maps to MSA-1 `AR` (the issue: a truncated or unreadable message is rejected, not retried).
 */
export class Hl7ParseError extends VigilError {
  readonly kind: Hl7RejectKind;
  readonly reason: Hl7RejectReason;
  readonly location: Hl7ErrorLocation;
  readonly ackCode = 'AR' as const;
  constructor(kind: Hl7RejectKind, reason: Hl7RejectReason, detail: string, location: Hl7ErrorLocation = {}) {
    super(`hl7-${kind}`, 422, `HL7 v2 message rejected (${reason})${describeLocation(location)}: ${detail}`);
    this.kind = kind;
    this.reason = reason;
    this.location = location;
  }
}

function describeLocation(l: Hl7ErrorLocation): string {
  const parts: string[] = [];
  if (l.messageIndex !== undefined) parts.push(`message ${l.messageIndex}`);
  if (l.segmentIndex !== undefined) parts.push(`segment ${l.segmentIndex}${l.segmentId ? ` (${l.segmentId})` : ''}`);
  if (l.field !== undefined) parts.push(`field ${l.field}`);
  return parts.length ? ` at ${parts.join(', ')}` : '';
}
