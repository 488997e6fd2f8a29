export { decodeEscapes, encodeEscapes, DEFAULT_DELIMITERS, type EscapeReport, type Hl7Delimiters } from './escape.ts';
export { Hl7ParseError, type Hl7ErrorLocation, type Hl7RejectKind, type Hl7RejectReason } from './errors.ts';
export { Hl7Message, Hl7Segment, parsePath, type Hl7Header, type Hl7HierarchicDesignator, type Hl7Note, type Hl7NoteCode, type Hl7Path, type SegmentSeparator } from './message.ts';
export { parseHl7Batch, parseHl7Message, type Hl7BatchInfo, type Hl7BatchResult, type Hl7ParseOptions } from './parse.ts';
export { ackContextOf, ackModeOf, acceptAckWanted, applicationAckWanted, buildAck, type AckCode, type AckCondition, type AckContext, type AckError, type AckMode, type AckOptions, type AckOutcome } from './ack.ts';
