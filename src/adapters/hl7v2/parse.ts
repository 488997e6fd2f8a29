import { DEFAULT_DELIMITERS, type Hl7Delimiters } from './escape.ts';
import { Hl7ParseError, type Hl7ErrorLocation, type Hl7RejectKind, type Hl7RejectReason } from './errors.ts';
import { Hl7Message, type Hl7Note, type SegmentSeparator } from './message.ts';

export interface Hl7ParseOptions {
  /**
   * Refuse a final segment that is not followed by CR or LF. HL7 requires the terminator after every segment, so with
   * this on, an input cut anywhere but on a segment boundary is rejected. Off by default because most files in the
   * real corpus (22 of 40) omit the last terminator; then a missing terminator is reported as a note instead.
   */
  requireTerminator?: boolean;
}

/** HL7 v2.3 through v2.8.x (MSH-12.1). Anything else gets AR, as HL7 itself prescribes for an unsupported version. */
const SUPPORTED_VERSION = /^2\.[3-8](\.\d+)?$/;
const ENVELOPE = new Set(['FHS', 'BHS', 'BTS', 'FTS']);
// Literal placeholders some test senders write instead of MLLP control bytes (Mirth's SimpleSender: [SOM]…[EOM][CR]).
const TRAILING_FRAMING = /(?:\[(?:SOM|EOM|CR|LF|VT|FS)\])+[\r\n]*$/;

interface Scan {
  text: string;
  starts: number[];
  ends: number[];
  /** The last segment of the input had no terminator after it. */
  openEnd: boolean;
  notes: Hl7Note[];
  separators: SegmentSeparator[];
  requireTerminator: boolean;
}

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 10 || c === 11 || c === 12;
}

function isBlank(text: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (!isSpace(text.charCodeAt(k))) return false;
  return true;
}

function upperOrDigit(x: number): boolean {
  return (x >= 65 && x <= 90) || (x >= 48 && x <= 57);
}

function headerAt(text: string, at: number): boolean {
  const c = text.charCodeAt(at + 3);
  return !Number.isNaN(c) && !isAlnum(c) && !isSpace(c);
}

/** Where the first MSH/FHS/BHS starts: anything before it is junk (a BOM was already removed). */
function findHeader(text: string, from: number): number {
  let best = -1;
  for (const tag of ['MSH', 'FHS', 'BHS']) {
    let at = text.indexOf(tag, from);
    while (at >= 0 && (best < 0 || at < best) && !headerAt(text, at)) at = text.indexOf(tag, at + 1);
    if (at >= 0 && (best < 0 || at < best)) best = at;
  }
  return best;
}

function decodeInput(input: string | Uint8Array, notes: Hl7Note[]): string {
  if (typeof input === 'string') {
    if (input.charCodeAt(0) === 0xfeff) {
      notes.push({ code: 'bom-stripped' });
      return input.slice(1);
    }
    return input;
  }
  let bytes = input;
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    notes.push({ code: 'bom-stripped' });
    bytes = bytes.subarray(3);
  }
  // Non-fatal: a stray byte must not make the whole message unreadable; the replacement character shows where it was.
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
}

function scan(input: string | Uint8Array, options: Hl7ParseOptions): Scan {
  const notes: Hl7Note[] = [];
  const text = decodeInput(input, notes);
  if (isBlank(text, 0, text.length)) throw new Hl7ParseError('malformed', 'empty-input', 'the input holds no segments.');
  const from = findHeader(text, 0);
  if (from < 0) {
    throw new Hl7ParseError('malformed', 'no-header-segment', 'no MSH, FHS or BHS segment was found; this is not an HL7 v2 message.');
  }
  if (from > 0) notes.push({ code: 'leading-junk-stripped', count: from });
  let to = text.length;
  let framedEnd = false;
  const tail = TRAILING_FRAMING.exec(text.length > 64 ? text.slice(-64) : text);
  if (tail) {
    to -= tail[0].length;
    framedEnd = tail[0].includes('[CR]');
    notes.push({ code: 'trailing-framing-stripped', count: tail[0].length });
  }
  const starts: number[] = [];
  const ends: number[] = [];
  let segStart = from;
  let blank = 0;
  let cr = 0;
  let lf = 0;
  let crlf = 0;
  // Native indexOf for both terminators: a file that never uses one of them pays a single failed search for it.
  let nextCr = text.indexOf('\r', from);
  let nextLf = text.indexOf('\n', from);
  for (;;) {
    if (nextCr >= 0 && nextCr < segStart) nextCr = text.indexOf('\r', segStart);
    if (nextLf >= 0 && nextLf < segStart) nextLf = text.indexOf('\n', segStart);
    let p = nextCr < 0 ? nextLf : nextLf < 0 ? nextCr : Math.min(nextCr, nextLf);
    if (p < 0 || p >= to) break;
    if (p > segStart) {
      if (isBlank(text, segStart, p)) blank++;
      else {
        starts.push(segStart);
        ends.push(p);
      }
    } else if (!(text.charCodeAt(p) === 10 && p > from && text.charCodeAt(p - 1) === 13)) blank++;
    if (text.charCodeAt(p) === 13 && p + 1 < to && text.charCodeAt(p + 1) === 10) {
      crlf++;
      p++;
    } else if (text.charCodeAt(p) === 13) cr++;
    else lf++;
    segStart = p + 1;
  }
  let openEnd = false;
  if (segStart < to) {
    if (isBlank(text, segStart, to)) blank++;
    else {
      starts.push(segStart);
      ends.push(to);
      openEnd = !framedEnd;
    }
  }
  if (blank > 0) notes.push({ code: 'blank-lines-skipped', count: blank });
  const separators: SegmentSeparator[] = [];
  if (cr) separators.push('CR');
  if (lf) separators.push('LF');
  if (crlf) separators.push('CRLF');
  if (separators.length > 1) notes.push({ code: 'mixed-segment-separators' });
  return { text, starts, ends, openEnd, notes, separators, requireTerminator: options.requireTerminator ?? false };
}

function segmentId(sc: Scan, k: number): string | undefined {
  const s = sc.starts[k]!;
  const e = sc.ends[k]!;
  if (e - s < 3) return undefined;
  const t = sc.text;
  const a = t.charCodeAt(s);
  const b = t.charCodeAt(s + 1);
  const c = t.charCodeAt(s + 2);
  if (!(a >= 65 && a <= 90) || !upperOrDigit(b) || !upperOrDigit(c)) return undefined;
  return t.slice(s, s + 3);
}

/**
 * A fault in the last segment of an input that ended without a terminator is most likely the cut itself, so it is
 * reported as truncation; the same fault anywhere else means the sender wrote it that way.
 */
function fail(sc: Scan, k: number, reason: Hl7RejectReason, detail: string, loc: Hl7ErrorLocation, kind?: Hl7RejectKind): never {
  const cut = k === sc.starts.length - 1 && sc.openEnd;
  throw new Hl7ParseError(cut ? 'truncated' : (kind ?? 'malformed'), reason, cut ? `${detail} The input ends inside this segment: it was probably cut.` : detail, loc);
}

/** Field separator and encoding characters of an MSH, FHS or BHS segment. */
function readDelimiters(sc: Scan, k: number, loc: Hl7ErrorLocation): Hl7Delimiters {
  const t = sc.text;
  const s = sc.starts[k]!;
  const e = sc.ends[k]!;
  const id = t.slice(s, s + 3);
  if (e - s < 4) fail(sc, k, 'required-field-missing', 'the header segment ends before its field separator.', { ...loc, field: `${id}-1` });
  const fs = t[s + 3]!;
  if (fs === '|' && t.startsWith('^~\\&', s + 4) && (e === s + 8 || t.charCodeAt(s + 8) === 124)) return DEFAULT_DELIMITERS;
  const fsc = fs.charCodeAt(0);
  if (isAlnum(fsc) || isSpace(fsc)) fail(sc, k, 'invalid-field-separator', 'the field separator must be a punctuation character.', { ...loc, field: `${id}-1` });
  let encEnd = t.indexOf(fs, s + 4);
  if (encEnd < 0 || encEnd > e) encEnd = e;
  const enc = t.slice(s + 4, encEnd);
  const chars = [...enc];
  const distinct = new Set([fs, ...chars]).size === chars.length + 1;
  const printable = chars.every((ch) => !isAlnum(ch.charCodeAt(0)) && !isSpace(ch.charCodeAt(0)));
  if (chars.length < 4 || chars.length > 5 || !distinct || !printable) {
    fail(sc, k, 'invalid-encoding-characters', 'the encoding characters must be 4 (or, from v2.7, 5) distinct punctuation characters that differ from the field separator.', {
      ...loc,
      field: `${id}-2`,
    });
  }
  const [component, repetition, escape, subcomponent, truncation] = chars as [string, string, string, string, string | undefined];
  if (fs === '|' && enc === '^~\\&') return DEFAULT_DELIMITERS;
  return truncation === undefined ? { field: fs, component, repetition, escape, subcomponent } : { field: fs, component, repetition, escape, subcomponent, truncation };
}

/** MSH fields without which the gateway cannot route, deduplicate or acknowledge: [name, field, component or 0]. */
const REQUIRED_MSH: readonly (readonly [string, number, number])[] = [['MSH-9', 9, 1], ['MSH-10', 10, 0], ['MSH-11', 11, 1], ['MSH-12', 12, 1]];

function at(base: Hl7ErrorLocation, first: number, k: number, extra: Hl7ErrorLocation = {}): Hl7ErrorLocation {
  return { ...base, segmentIndex: k - first + 1, ...extra };
}

/** Builds and validates one message from segments [first, last] of the scan. */
function buildMessage(sc: Scan, first: number, last: number, messageIndex?: number): Hl7Message {
  const base: Hl7ErrorLocation = messageIndex === undefined ? {} : { messageIndex };
  const delimiters = readDelimiters(sc, first, at(base, first, first, { segmentId: 'MSH' }));
  const fsc = delimiters.field.charCodeAt(0);
  const ids: string[] = [];
  for (let k = first; k <= last; k++) {
    const id = segmentId(sc, k);
    const s = sc.starts[k]!;
    if (id === undefined || (sc.ends[k]! - s > 3 && sc.text.charCodeAt(s + 3) !== fsc)) {
      fail(sc, k, 'invalid-segment-id', 'a segment must start with a 3-character id (upper-case letters and digits) followed by the field separator.', at(base, first, k));
    }
    if (k > first && id === 'MSH') fail(sc, k, 'multiple-messages', 'a second MSH starts another message; parse the input as a batch.', at(base, first, k, { segmentId: id }));
    if (ENVELOPE.has(id)) fail(sc, k, 'batch-structure', 'a batch envelope segment appears inside a message.', at(base, first, k, { segmentId: id }));
    ids.push(id);
  }
  const openEnd = last === sc.starts.length - 1 && sc.openEnd;
  const notes = openEnd ? [...sc.notes, { code: 'unterminated-final-segment' as const }] : sc.notes;
  const msg = new Hl7Message(sc.text, Int32Array.from(sc.starts.slice(first, last + 1)), Int32Array.from(sc.ends.slice(first, last + 1)), ids, delimiters, notes, sc.separators, !openEnd);

  const msh = at(base, first, first, { segmentId: 'MSH' });
  for (const [name, field, comp] of REQUIRED_MSH) {
    const r = msg.range(0, field, comp ? 1 : 0, comp);
    if (!r || r[1] === r[0]) fail(sc, first, 'required-field-missing', 'a required MSH field is empty or absent.', { ...msh, field: name });
  }
  if (!SUPPORTED_VERSION.test(msg.header.version)) {
    fail(sc, first, 'unsupported-version', 'MSH-12 names a version outside 2.3 to 2.8.', { ...msh, field: 'MSH-12' }, 'unsupported-version');
  }
  if (last === first) {
    const mshText = sc.text.slice(sc.starts[first]!, sc.ends[first]!);
    // A whole message on one line with spaces where the CRs were (nhc_adt-example.hl7) reads as one long MSH.
    const glued = new RegExp(`\\s[A-Z][A-Z0-9]{2}${delimiters.field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`).test(mshText);
    if (glued) throw new Hl7ParseError('malformed', 'segment-separator-missing', 'the MSH segment contains what look like further segments: segment separators are missing.', msh);
    fail(sc, first, 'missing-body', 'the message has no segment after MSH; no HL7 message type is MSH alone.', msh, 'truncated');
  }
  if (openEnd) {
    const k = last;
    const loc = at(base, first, k, { segmentId: ids[ids.length - 1]! });
    if (sc.requireTerminator) fail(sc, k, 'unterminated-final-segment', 'the last segment has no segment terminator.', loc);
    const s = sc.starts[k]!;
    const e = sc.ends[k]!;
    if (e - s <= 4) fail(sc, k, 'unterminated-final-segment', 'the last segment stops right after its id.', loc);
    // An odd number of escape characters after the last delimiter means the input stopped inside an escape sequence.
    const stops = new Set([delimiters.field, delimiters.component, delimiters.repetition, delimiters.subcomponent].map((c) => c.charCodeAt(0)));
    const escc = delimiters.escape.charCodeAt(0);
    let escapes = 0;
    for (let p = e - 1; p >= s && !stops.has(sc.text.charCodeAt(p)); p--) if (sc.text.charCodeAt(p) === escc) escapes++;
    if (escapes % 2 === 1) fail(sc, k, 'cut-in-escape-sequence', 'the input ends inside an escape sequence.', loc);
  }
  return msg;
}

/**
 * Parses one HL7 v2 message (string, or bytes decoded as UTF-8). A UTF-8 BOM or junk before MSH is stripped and
 * recorded in `notes`. Throws Hl7ParseError, and only Hl7ParseError, for anything it refuses.
 */
export function parseHl7Message(input: string | Uint8Array, options: Hl7ParseOptions = {}): Hl7Message {
  const sc = scan(input, options);
  const firstId = segmentId(sc, 0);
  if (firstId !== 'MSH') {
    fail(sc, 0, 'batch-structure', 'the input starts with a batch header; parse it as a batch.', { segmentIndex: 1, ...(firstId ? { segmentId: firstId } : {}) });
  }
  return buildMessage(sc, 0, sc.starts.length - 1);
}

export interface Hl7BatchInfo {
  /** Messages found between BHS and BTS (or in the whole input when it has no BHS). */
  messageCount: number;
  /** BTS-1, when the sender filled it. */
  declaredCount?: number;
}

export interface Hl7BatchResult {
  messages: Hl7Message[];
  /** Messages refused one by one (each gets its own AR); the rest of the batch is still usable. */
  rejected: { messageIndex: number; error: Hl7ParseError }[];
  batches: Hl7BatchInfo[];
  hasFileHeader: boolean;
  notes: readonly Hl7Note[];
}

function countField(sc: Scan, k: number, fs: string): number | undefined {
  const seg = sc.text.slice(sc.starts[k]!, sc.ends[k]!);
  const v = seg.split(fs)[1];
  return v !== undefined && /^\d+$/.test(v.trim()) ? Number(v.trim()) : undefined;
}

/**
 * Parses an input holding any number of messages: an FHS/BHS … BTS/FTS batch file, or messages simply written one
 * after another (as many vendor sample files are). Envelope faults (a missing trailer, a count that does not match
 * BTS-1/FTS-1) reject the whole input as truncated; a fault inside one message rejects that message only.
 */
export function parseHl7Batch(input: string | Uint8Array, options: Hl7ParseOptions = {}): Hl7BatchResult {
  const sc = scan(input, options);
  const n = sc.starts.length;
  const messages: Hl7Message[] = [];
  const rejected: Hl7BatchResult['rejected'] = [];
  const batches: Hl7BatchInfo[] = [];
  let fileFs: string | undefined;
  let batchFs: string | undefined;
  let open: Hl7BatchInfo | undefined;
  let closedFile = false;
  let implicit: Hl7BatchInfo | undefined;
  let explicitBatches = 0;
  let messageIndex = 0;
  let k = 0;
  const envLoc = (i: number, id?: string): Hl7ErrorLocation => ({ segmentIndex: i + 1, ...(id ? { segmentId: id } : {}) });
  while (k < n) {
    const id = segmentId(sc, k);
    if (closedFile) fail(sc, k, 'batch-structure', 'segments follow the file trailer (FTS).', envLoc(k, id));
    if (id === 'FHS') {
      if (k !== 0) fail(sc, k, 'batch-structure', 'FHS may only start the input.', envLoc(k, id));
      fileFs = readDelimiters(sc, k, envLoc(k, id)).field;
      k++;
    } else if (id === 'BHS') {
      if (open) fail(sc, k, 'batch-structure', 'a batch starts before the previous one was closed by BTS.', envLoc(k, id));
      batchFs = readDelimiters(sc, k, envLoc(k, id)).field;
      open = { messageCount: 0 };
      k++;
    } else if (id === 'MSH') {
      let end = k + 1;
      while (end < n) {
        const next = segmentId(sc, end);
        if (next === 'MSH' || (next !== undefined && ENVELOPE.has(next))) break;
        end++;
      }
      messageIndex++;
      try {
        messages.push(buildMessage(sc, k, end - 1, messageIndex));
      } catch (err) {
        if (!(err instanceof Hl7ParseError)) throw err;
        rejected.push({ messageIndex, error: err });
      }
      if (open) open.messageCount++;
      else {
        // Messages outside any BHS form one implicit batch, so callers see one shape for both kinds of file.
        if (!implicit) batches.push((implicit = { messageCount: 0 }));
        implicit.messageCount++;
      }
      k = end;
    } else if (id === 'BTS') {
      if (!open) fail(sc, k, 'batch-structure', 'BTS without a BHS.', envLoc(k, id));
      const declared = countField(sc, k, batchFs ?? '|');
      if (declared !== undefined) {
        open.declaredCount = declared;
        if (declared !== open.messageCount) {
          throw new Hl7ParseError('truncated', 'batch-count-mismatch', `BTS-1 declares a different number of messages than the batch holds (${open.messageCount}).`, { ...envLoc(k, id), field: 'BTS-1' });
        }
      }
      batches.push(open);
      explicitBatches++;
      open = undefined;
      k++;
    } else if (id === 'FTS') {
      if (fileFs === undefined) fail(sc, k, 'batch-structure', 'FTS without an FHS.', envLoc(k, id));
      if (open) fail(sc, k, 'batch-trailer-missing', 'the file ends before the open batch was closed by BTS.', envLoc(k, id), 'truncated');
      const declared = countField(sc, k, fileFs);
      if (declared !== undefined && declared !== explicitBatches) {
        throw new Hl7ParseError('truncated', 'batch-count-mismatch', `FTS-1 declares a different number of batches than the file holds (${explicitBatches}).`, { ...envLoc(k, id), field: 'FTS-1' });
      }
      closedFile = true;
      k++;
    } else {
      fail(sc, k, id === undefined ? 'invalid-segment-id' : 'batch-structure', 'a segment appears outside any message.', envLoc(k, id));
    }
  }
  if (open) throw new Hl7ParseError('truncated', 'batch-trailer-missing', 'the input ends before BTS closed the batch.', { segmentIndex: n });
  if (fileFs !== undefined && !closedFile) throw new Hl7ParseError('truncated', 'batch-trailer-missing', 'the input ends before FTS closed the file.', { segmentIndex: n });
  return { messages, rejected, batches, hasFileHeader: fileFs !== undefined, notes: sc.notes };
}
