import { decodeEscapes, DEFAULT_DELIMITERS, encodeEscapes, type Hl7Delimiters } from './escape.ts';
import { Hl7ParseError } from './errors.ts';
import type { Hl7Header, Hl7HierarchicDesignator } from './message.ts';
import { parseHl7Message } from './parse.ts';

/** MSA-1 (HL7 table 0008): A* original mode / application acknowledgment, C* enhanced-mode accept acknowledgment. */
export type AckCode = 'AA' | 'AE' | 'AR' | 'CA' | 'CE' | 'CR';

export interface AckError {
  /** Where the fault is: a segment id, its 1-based occurrence, field and component. Positions only, never values. */
  segment?: string;
  occurrence?: number;
  field?: number;
  component?: number;
  /** HL7 table 0357 (0, 100–103, 200–207). */
  hl7ErrorCode: number;
  severity: 'E' | 'W' | 'I';
  /** Written by Vigil for the sender's support staff; must not quote the message. */
  diagnostic: string;
}

export interface AckOutcome {
  code: AckCode;
  text?: string;
  error?: AckError;
}

export interface AckOptions {
  now: Date;
  /** MSH-10 of the acknowledgment itself. */
  controlId: string;
  /** Vigil's identity, used where the original names no receiving application / facility, or there is no original. */
  sendingApplication?: string;
  sendingFacility?: string;
  /** The original message's delimiters (Hl7Message.delimiters), so the sender reads the answer with its own. */
  delimiters?: Hl7Delimiters;
}

const TABLE_0357: Readonly<Record<number, string>> = {
  0: 'Message accepted',
  100: 'Segment sequence error',
  101: 'Required field missing',
  102: 'Data type error',
  103: 'Table value not found',
  200: 'Unsupported message type',
  201: 'Unsupported event code',
  202: 'Unsupported processing id',
  203: 'Unsupported version id',
  204: 'Unknown key identifier',
  205: 'Duplicate key identifier',
  206: 'Application record locked',
  207: 'Application internal error',
};

const DEFAULT_VERSION = '2.5.1';
// MSA-3 is ST(80) up to v2.6; ERR-8 is TX(250) in v2.5. Longer text is cut so a strict receiver does not refuse the ACK.
const MSA_TEXT_MAX = 80;
const ERR_TEXT_MAX = 250;
const SEGMENT_ID = /^[A-Z][A-Z0-9]{2}$/;
const VERSION = /^(\d+)\.(\d+)(?:\.(\d+))?$/;

function versionParts(version: string): [number, number, number] | undefined {
  const m = VERSION.exec(version);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

function before(version: string, major: number, minor: number, patch = 0): boolean {
  const v = versionParts(version) ?? (versionParts(DEFAULT_VERSION) as [number, number, number]);
  return v[0] !== major ? v[0] < major : v[1] !== minor ? v[1] < minor : v[2] < patch;
}

function isDelimiterChar(ch: string | undefined): boolean {
  if (ch === undefined || [...ch].length !== 1) return false;
  const c = ch.codePointAt(0)!;
  return c > 32 && c !== 127 && !/[A-Za-z0-9]/.test(ch);
}

function checkedDelimiters(d: Hl7Delimiters): Hl7Delimiters {
  const chars = [d.field, d.component, d.repetition, d.escape, d.subcomponent, ...(d.truncation === undefined ? [] : [d.truncation])];
  if (!chars.every(isDelimiterChar) || new Set(chars).size !== chars.length) {
    throw new TypeError('ACK delimiters must be distinct single punctuation characters.');
  }
  return d;
}

/** The parser takes any non-alphanumeric delimiter; an ACK is written only with printable ones. */
function usable(d: Hl7Delimiters): boolean {
  try {
    checkedDelimiters(d);
    return true;
  } catch {
    return false;
  }
}

/**
 * Escapes every delimiter (and CR/LF, via encodeEscapes) and turns any other control character into a hex escape,
 * so no text — a reason, an echoed id — can end a field, a segment or the MLLP frame early.
 */
function text(value: string, d: Hl7Delimiters, max?: number): string {
  const cut = max !== undefined && value.length > max ? Array.from(value).slice(0, max).join('') : value;
  // eslint-disable-next-line no-control-regex
  return encodeEscapes(cut, d).replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, (c) => `${d.escape}X${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}${d.escape}`);
}

function joinTrimmed(parts: readonly string[], sep: string): string {
  let end = parts.length;
  while (end > 0 && parts[end - 1] === '') end--;
  return parts.slice(0, end).join(sep);
}

function positive(n: number | undefined): string {
  return n !== undefined && Number.isSafeInteger(n) && n > 0 ? String(n) : '';
}

function hd(value: Hl7HierarchicDesignator, d: Hl7Delimiters): string {
  return joinTrimmed([value.namespaceId, value.universalId, value.universalIdType].map((v) => text(v, d)), d.component);
}

function named(value: Hl7HierarchicDesignator | undefined, fallback: string | undefined): Hl7HierarchicDesignator {
  if (value && (value.namespaceId !== '' || value.universalId !== '')) return value;
  return { namespaceId: fallback ?? '', universalId: '', universalIdType: '' };
}

function timestamp(now: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(now.getUTCFullYear(), 4)}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}+0000`;
}

/** Trailing empty fields are left out, except up to `required` (MSA-2 is written even when empty). */
function segment(id: string, fields: readonly string[], d: Hl7Delimiters, required = 0): string {
  const out = [id, ...fields];
  let end = out.length;
  while (end > required + 1 && out[end - 1] === '') end--;
  return out.slice(0, end).join(d.field);
}

function errorCode(error: AckError, d: Hl7Delimiters, sep: string): string {
  const code = Number.isSafeInteger(error.hl7ErrorCode) && error.hl7ErrorCode >= 0 ? error.hl7ErrorCode : 207;
  return [String(code), text(TABLE_0357[code] ?? '', d), 'HL70357'].join(sep);
}

/** v2.5+: ERR-2 location (ERL), ERR-3 code (CWE), ERR-4 severity, ERR-8 user message. */
function errSegment25(error: AckError, d: Hl7Delimiters): string {
  const seg = error.segment !== undefined && SEGMENT_ID.test(error.segment) ? error.segment : '';
  const field = positive(error.field);
  const location = seg === '' ? '' : joinTrimmed([seg, positive(error.occurrence) || '1', field, field === '' ? '' : '1', positive(error.component)], d.component);
  const severity = ['E', 'W', 'I'].includes(error.severity) ? error.severity : 'E';
  return segment('ERR', ['', location, errorCode(error, d, d.component), severity, '', '', '', text(error.diagnostic, d, ERR_TEXT_MAX)], d);
}

/** v2.3–2.4: ERR-1 (ELD) segment^sequence^field^code&text&HL70357; there is no place for severity or diagnostic. */
function errSegment23(error: AckError, d: Hl7Delimiters): string {
  const seg = error.segment !== undefined && SEGMENT_ID.test(error.segment) ? error.segment : '';
  const location = [seg, seg === '' ? '' : positive(error.occurrence) || '1', positive(error.field)];
  return segment('ERR', [[...location, errorCode(error, d, d.subcomponent)].join(d.component)], d);
}

/**
 * The acknowledgment of `original` (its decoded header), as segments each ended by CR, without MLLP framing.
 * Without an original (its MSH could not be read) the answer is always a minimal AR with an empty MSA-2: nothing
 * unread may be accepted. Every value written is escaped with the delimiters it is written in.
 */
export function buildAck(original: Hl7Header | undefined, outcome: AckOutcome, options: AckOptions): string {
  const d = checkedDelimiters(options.delimiters ?? DEFAULT_DELIMITERS);
  const version = original && versionParts(original.version) ? original.version : DEFAULT_VERSION;
  const code: AckCode = original ? outcome.code : 'AR';
  // MSH-9.3 (message structure) exists from v2.3.1 on.
  const type = joinTrimmed(before(version, 2, 3, 1) ? ['ACK', text(original?.triggerEvent ?? '', d)] : ['ACK', text(original?.triggerEvent ?? '', d), 'ACK'], d.component);
  const encoding = d.component + d.repetition + d.escape + d.subcomponent + (d.truncation ?? '');
  const msh =
    'MSH' +
    d.field +
    encoding +
    d.field +
    [
      hd(named(original?.receivingApplication, options.sendingApplication), d),
      hd(named(original?.receivingFacility, options.sendingFacility), d),
      hd(named(original?.sendingApplication, undefined), d),
      hd(named(original?.sendingFacility, undefined), d),
      timestamp(options.now),
      '',
      type,
      text(options.controlId, d),
      text(original?.processingId || 'P', d),
      text(version, d),
    ].join(d.field);
  const old = before(version, 2, 5);
  const msaText = outcome.text ?? (old && outcome.error ? outcome.error.diagnostic : '');
  const segments = [msh, segment('MSA', [code, text(original?.controlId ?? '', d), text(msaText, d, MSA_TEXT_MAX)], d, 2)];
  if (outcome.error) segments.push(old ? errSegment23(outcome.error, d) : errSegment25(outcome.error, d));
  return segments.map((s) => s + '\r').join('');
}

export interface AckContext {
  header: Hl7Header;
  /** Absent when the original's MSH-2 could not be trusted: answer with the default delimiters then. */
  delimiters?: Hl7Delimiters;
}

const LENIENT_SCAN_CHARS = 4096;

/** Reads MSH field by field without validating the message, for a NAK to a message the parser refused. */
function readMshLeniently(input: string | Uint8Array): AckContext | undefined {
  const head = typeof input === 'string' ? input.slice(0, LENIENT_SCAN_CHARS) : new TextDecoder('utf-8').decode(input.subarray(0, LENIENT_SCAN_CHARS));
  let at = head.indexOf('MSH');
  while (at >= 0 && !isDelimiterChar(head[at + 3])) at = head.indexOf('MSH', at + 1);
  if (at < 0) return undefined;
  const lineEnd = head.slice(at).search(/[\r\n]/);
  const line = lineEnd < 0 ? head.slice(at) : head.slice(at, at + lineEnd);
  const fs = line[3]!;
  const parts = line.split(fs);
  const enc = [...(parts[1] ?? '')];
  const [component, repetition, escape, subcomponent, truncation] = enc;
  const candidate: Hl7Delimiters = { field: fs, component: component ?? '', repetition: repetition ?? '', escape: escape ?? '', subcomponent: subcomponent ?? '', ...(truncation === undefined ? {} : { truncation }) };
  const delimiters = enc.length >= 4 && enc.length <= 5 && usable(candidate) ? candidate : undefined;
  const compSep = delimiters?.component ?? (isDelimiterChar(enc[0]) && enc[0] !== fs ? enc[0]! : '^');
  // parts[k] is MSH-(k+1): parts[0] is the id and parts[1] MSH-2.
  const comp = (field: number, n = 1): string => {
    const whole = parts[field - 1] ?? '';
    const first = delimiters ? whole.split(delimiters.repetition)[0]! : whole;
    const raw = first.split(compSep)[n - 1] ?? '';
    return delimiters ? decodeEscapes(raw, delimiters) : raw;
  };
  const hdAt = (field: number): Hl7HierarchicDesignator => ({ namespaceId: comp(field, 1), universalId: comp(field, 2), universalIdType: comp(field, 3) });
  const header: Hl7Header = {
    sendingApplication: hdAt(3),
    sendingFacility: hdAt(4),
    receivingApplication: hdAt(5),
    receivingFacility: hdAt(6),
    dateTime: comp(7),
    messageType: comp(9, 1),
    triggerEvent: comp(9, 2),
    messageStructure: comp(9, 3),
    controlId: comp(10),
    processingId: comp(11),
    version: comp(12),
    acceptAckType: comp(15),
    applicationAckType: comp(16),
    characterSet: comp(18),
  };
  if (header.controlId === '') return undefined;
  return delimiters ? { header, delimiters } : { header };
}

/**
 * What an acknowledgment needs from a received message: its header and delimiters. The parser's reading when it
 * accepts the message; otherwise MSH read field by field, so a message refused for a fault elsewhere (a bad MSH-2,
 * glued segments, a cut, an unsupported version) still gets a NAK naming its control id. Undefined when not even
 * MSH-10 can be read: answer with the minimal NAK, or close the connection.
 */
export function ackContextOf(input: string | Uint8Array): AckContext | undefined {
  try {
    const msg = parseHl7Message(input);
    return usable(msg.delimiters) ? { header: msg.header, delimiters: msg.delimiters } : { header: msg.header };
  } catch (err) {
    if (!(err instanceof Hl7ParseError)) throw err;
  }
  return readMshLeniently(input);
}

/** Table 0155. */
export type AckCondition = 'AL' | 'NE' | 'ER' | 'SU';
export type AckMode = { mode: 'original' } | { mode: 'enhanced'; accept: AckCondition; application: AckCondition };

const CONDITIONS: ReadonlySet<string> = new Set<AckCondition>(['AL', 'NE', 'ER', 'SU']);

function condition(value: string): AckCondition {
  const v = value.trim().toUpperCase();
  // MSH-15/16 are required in enhanced mode, so an empty (or unknown) one is the sender's omission. It cannot mean
  // "never": a wanted ACK withheld stalls the sender, while an unwanted one is merely ignored. So it reads as AL.
  return CONDITIONS.has(v) ? (v as AckCondition) : 'AL';
}

/**
 * HL7 v2.5 §2.9: original mode when MSH-15 and MSH-16 are both empty; enhanced mode as soon as either is valued,
 * and then an empty or unknown value of the other one counts as AL (see condition()).
 */
export function ackModeOf(header: Pick<Hl7Header, 'acceptAckType' | 'applicationAckType'>): AckMode {
  if (header.acceptAckType.trim() === '' && header.applicationAckType.trim() === '') return { mode: 'original' };
  return { mode: 'enhanced', accept: condition(header.acceptAckType), application: condition(header.applicationAckType) };
}

function wanted(c: AckCondition, outcomeClass: 'success' | 'error'): boolean {
  return c === 'AL' || (c === 'ER' && outcomeClass === 'error') || (c === 'SU' && outcomeClass === 'success');
}

/**
 * Whether the listener should write an acknowledgment now. In original mode always: the one ACK it writes is the
 * answer the sender waits for. In enhanced mode per MSH-15 (accept acknowledgment, MSA-1 CA/CE/CR).
 */
export function acceptAckWanted(mode: AckMode, outcomeClass: 'success' | 'error'): boolean {
  return mode.mode === 'original' || wanted(mode.accept, outcomeClass);
}

/** The same rule for the application acknowledgment (MSH-16) in enhanced mode; original mode always wants one. */
export function applicationAckWanted(mode: AckMode, outcomeClass: 'success' | 'error'): boolean {
  return mode.mode === 'original' || wanted(mode.application, outcomeClass);
}
