import { decodeEscapes, type EscapeReport, type Hl7Delimiters } from './escape.ts';

/** HD data type (MSH-3..6): who sent or receives the message. */
export interface Hl7HierarchicDesignator {
  namespaceId: string;
  universalId: string;
  universalIdType: string;
}

/** The MSH facts the gateway routes, authenticates, deduplicates and acknowledges on. Values are decoded. */
export interface Hl7Header {
  sendingApplication: Hl7HierarchicDesignator;
  sendingFacility: Hl7HierarchicDesignator;
  receivingApplication: Hl7HierarchicDesignator;
  receivingFacility: Hl7HierarchicDesignator;
  dateTime: string;
  messageType: string;
  triggerEvent: string;
  messageStructure: string;
  controlId: string;
  processingId: string;
  version: string;
  acceptAckType: string;
  applicationAckType: string;
  characterSet: string;
}

export type Hl7NoteCode =
  | 'bom-stripped'
  | 'leading-junk-stripped'
  | 'trailing-framing-stripped'
  | 'blank-lines-skipped'
  | 'mixed-segment-separators'
  | 'unterminated-final-segment';

/** Something the parser repaired or could not rule out; meant for provenance. Counts only, never content. */
export interface Hl7Note {
  code: Hl7NoteCode;
  count?: number;
}

export type SegmentSeparator = 'CR' | 'LF' | 'CRLF';

/** `PID-3`, `PID[2]-3[2].1.2`, `OBX-5`: segment, occurrence, field, repetition, component, subcomponent; all 1-based. */
export interface Hl7Path {
  segment: string;
  occurrence: number;
  field: number;
  repetition: number;
  component: number;
  subcomponent: number;
}

const PATH = /^([A-Z][A-Z0-9]{2})(?:\[(\d+)\])?-(\d+)(?:\[(\d+)\])?(?:\.(\d+)(?:\.(\d+))?)?$/;
const pathCache = new Map<string, Hl7Path>();

export function parsePath(path: string): Hl7Path {
  const hit = pathCache.get(path);
  if (hit) return hit;
  const m = PATH.exec(path);
  if (!m) throw new TypeError(`Not an HL7 path: expected e.g. PID-3[2].1 (segment, field, [repetition], .component, .subcomponent)`);
  const n = (s: string | undefined) => (s === undefined ? 1 : Number(s));
  const parsed: Hl7Path = { segment: m[1]!, occurrence: n(m[2]), field: Number(m[3]), repetition: n(m[4]), component: n(m[5]), subcomponent: n(m[6]) };
  if (parsed.occurrence < 1 || parsed.field < 1 || parsed.repetition < 1 || parsed.component < 1 || parsed.subcomponent < 1) {
    throw new TypeError('HL7 paths are 1-based: occurrence, field, repetition, component and subcomponent start at 1');
  }
  if (pathCache.size < 4096) pathCache.set(path, parsed);
  return parsed;
}

// The last range found by part()/range(): module state instead of a tuple per call, because field access is the
// parser's hot path and a consumer touching every field would otherwise allocate one array per lookup.
let rs = 0;
let re = 0;

/** Narrows [rs, re) to its n-th (1-based) part split on `code`; false when there is no such part. */
function part(text: string, code: number, n: number): boolean {
  const from = rs;
  const to = re;
  let start = from;
  let seen = 1;
  for (let i = from; i < to; i++) {
    if (text.charCodeAt(i) === code) {
      if (seen === n) {
        rs = start;
        re = i;
        return true;
      }
      seen++;
      start = i + 1;
    }
  }
  if (seen !== n) return false;
  rs = start;
  re = to;
  return true;
}

let scratch = new Int32Array(256);

/**
 * One parsed HL7 v2 message. It keeps the source text and the offsets of its segments; fields are located when a
 * segment is first read and values are decoded only when asked for, so a consumer pays for what it reads.
 * HL7 numbering throughout: MSH-1 is the field separator, MSH-2 the encoding characters, MSH-3 the sending app.
 */
export class Hl7Message {
  readonly delimiters: Hl7Delimiters;
  readonly header: Hl7Header;
  readonly notes: readonly Hl7Note[];
  readonly separators: readonly SegmentSeparator[];
  /** False when the input ended without a segment terminator after the last segment (see docs/hl7v2.md). */
  readonly finalSegmentTerminated: boolean;
  private readonly text: string;
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;
  private readonly ids: string[];
  private readonly fieldStarts: (Int32Array | undefined)[];
  private readonly fsCode: number;
  private readonly repCode: number;
  private readonly compCode: number;
  private readonly subCode: number;

  /** @internal built by parseHl7Message / parseHl7Batch, which validate before anyone reads. */
  constructor(
    text: string,
    starts: Int32Array,
    ends: Int32Array,
    ids: string[],
    delimiters: Hl7Delimiters,
    notes: Hl7Note[],
    separators: SegmentSeparator[],
    finalSegmentTerminated: boolean,
  ) {
    this.text = text;
    this.starts = starts;
    this.ends = ends;
    this.ids = ids;
    this.delimiters = delimiters;
    this.notes = notes;
    this.separators = separators;
    this.finalSegmentTerminated = finalSegmentTerminated;
    this.fieldStarts = new Array<Int32Array | undefined>(ids.length);
    this.fsCode = delimiters.field.charCodeAt(0);
    this.repCode = delimiters.repetition.charCodeAt(0);
    this.compCode = delimiters.component.charCodeAt(0);
    this.subCode = delimiters.subcomponent.charCodeAt(0);
    this.header = {
      sendingApplication: this.hd(3),
      sendingFacility: this.hd(4),
      receivingApplication: this.hd(5),
      receivingFacility: this.hd(6),
      dateTime: this.value(0, 7) ?? '',
      messageType: this.value(0, 9, 1, 1) ?? '',
      triggerEvent: this.value(0, 9, 1, 2) ?? '',
      messageStructure: this.value(0, 9, 1, 3) ?? '',
      controlId: this.value(0, 10) ?? '',
      processingId: this.value(0, 11) ?? '',
      version: this.value(0, 12) ?? '',
      acceptAckType: this.value(0, 15) ?? '',
      applicationAckType: this.value(0, 16) ?? '',
      characterSet: this.value(0, 18) ?? '',
    };
  }

  private hd(f: number): Hl7HierarchicDesignator {
    return { namespaceId: this.value(0, f, 1, 1) ?? '', universalId: this.value(0, f, 1, 2) ?? '', universalIdType: this.value(0, f, 1, 3) ?? '' };
  }

  /**
   * Calls `visit` with every leaf value of the message (segment position 0-based; field, repetition, component and
   * subcomponent 1-based), escapes decoded, in one pass and without building arrays. Empty leaves are visited too.
   */
  forEachValue(visit: (segment: number, field: number, repetition: number, component: number, subcomponent: number, value: string) => void, report?: EscapeReport): void {
    const t = this.text;
    const d = this.delimiters;
    const fsc = this.fsCode;
    const repc = this.repCode;
    const compc = this.compCode;
    const subc = this.subCode;
    const escc = d.escape.charCodeAt(0);
    for (let i = 0; i < this.ids.length; i++) {
      const to = this.ends[i]!;
      let p = this.starts[i]! + 3;
      let field = 0;
      if (this.isHeader(i)) {
        visit(i, 1, 1, 1, 1, d.field);
        const encEnd = t.indexOf(d.field, p + 1);
        const stop = encEnd < 0 || encEnd > to ? to : encEnd;
        visit(i, 2, 1, 1, 1, t.slice(p + 1, stop));
        p = stop;
        field = 2;
      }
      if (p >= to) continue;
      // p sits on a field separator; walk the rest of the segment once.
      field++;
      let rep = 1;
      let comp = 1;
      let sub = 1;
      let start = p + 1;
      let escaped = false;
      for (let q = p + 1; q <= to; q++) {
        const c = q === to ? fsc : t.charCodeAt(q);
        if (c === escc) {
          escaped = true;
          continue;
        }
        if (c !== fsc && c !== repc && c !== compc && c !== subc) continue;
        const raw = t.slice(start, q);
        visit(i, field, rep, comp, sub, escaped ? decodeEscapes(raw, d, report) : raw);
        escaped = false;
        start = q + 1;
        if (c === subc) sub++;
        else if (c === compc) {
          comp++;
          sub = 1;
        } else if (c === repc) {
          rep++;
          comp = 1;
          sub = 1;
        } else {
          field++;
          rep = 1;
          comp = 1;
          sub = 1;
        }
      }
    }
  }

  /** The message exactly as received (after BOM / junk stripping), with its own segment separators. */
  toString(): string {
    return this.text.slice(this.starts[0]!, this.ends[this.ends.length - 1]!);
  }

  get segmentCount(): number {
    return this.ids.length;
  }

  /** Segment ids in order; Z-segments included. */
  segmentIds(): readonly string[] {
    return this.ids;
  }

  segment(index: number): Hl7Segment {
    if (index < 1 || index > this.ids.length) throw new RangeError(`No segment ${index}: the message has ${this.ids.length}`);
    return new Hl7Segment(this, index - 1);
  }

  /** Every segment with that id, in order (all segments when id is omitted). */
  segments(id?: string): Hl7Segment[] {
    const out: Hl7Segment[] = [];
    for (let i = 0; i < this.ids.length; i++) if (id === undefined || this.ids[i] === id) out.push(new Hl7Segment(this, i));
    return out;
  }

  /**
   * The decoded value at `path`, e.g. `PID-3[2].1`. Like HAPI's Terser, an omitted repetition, component or
   * subcomponent means the first, so `PID-5` is the family name; use `raw()` for the undecoded text of a whole field.
   * Undefined when the segment or the position is absent; '' when present and empty.
   */
  get(path: string, report?: EscapeReport): string | undefined {
    const p = parsePath(path);
    const seg = this.find(p.segment, p.occurrence);
    return seg < 0 ? undefined : this.value(seg, p.field, p.repetition, p.component, p.subcomponent, report);
  }

  /** Undecoded text at the level the path names: `PID-5` the whole field, `PID-5[2]` one repetition, and so on. */
  raw(path: string): string | undefined {
    const m = PATH.exec(path);
    if (!m) throw new TypeError('Not an HL7 path: expected e.g. PID-3[2].1');
    const p = parsePath(path);
    const seg = this.find(p.segment, p.occurrence);
    if (seg < 0) return undefined;
    if (m[4] === undefined && m[5] === undefined) return this.rawField(seg, p.field);
    const range = this.range(seg, p.field, m[4] === undefined && m[5] === undefined ? 0 : p.repetition, m[5] === undefined ? 0 : p.component, m[6] === undefined ? 0 : p.subcomponent);
    return range && this.text.slice(range[0], range[1]);
  }

  /** @internal */
  find(id: string, occurrence: number): number {
    let seen = 0;
    for (let i = 0; i < this.ids.length; i++) if (this.ids[i] === id && ++seen === occurrence) return i;
    return -1;
  }

  /** @internal element starts of segment i split on the field separator, with a sentinel at end + 1. */
  elements(i: number): Int32Array {
    const cached = this.fieldStarts[i];
    if (cached) return cached;
    const from = this.starts[i]!;
    const to = this.ends[i]!;
    const fs = this.delimiters.field;
    const t = this.text;
    let k = 0;
    scratch[k++] = from;
    // Native indexOf beats a charCode loop here; a miss runs on only into the next segment, whose id is followed by fs.
    for (let p = t.indexOf(fs, from); p >= 0 && p < to; p = t.indexOf(fs, p + 1)) {
      if (k + 2 > scratch.length) {
        const bigger = new Int32Array(scratch.length * 2);
        bigger.set(scratch);
        scratch = bigger;
      }
      scratch[k++] = p + 1;
    }
    scratch[k++] = to + 1;
    const st = scratch.slice(0, k);
    this.fieldStarts[i] = st;
    return st;
  }

  private isHeader(i: number): boolean {
    const id = this.ids[i];
    return id === 'MSH' || id === 'FHS' || id === 'BHS';
  }

  /** @internal number of fields in segment i, in HL7 numbering. */
  fieldCount(i: number): number {
    const n = this.elements(i).length - 2;
    return this.isHeader(i) ? n + 1 : n;
  }

  /** @internal text range of a field (rep/comp/sub 0 = the whole level above). */
  range(i: number, field: number, rep = 0, comp = 0, sub = 0): [number, number] | undefined {
    return this.locate(i, field, rep, comp, sub) ? [rs, re] : undefined;
  }

  /** @internal like range(), leaving the answer in [rs, re). */
  private locate(i: number, field: number, rep: number, comp: number, sub: number): boolean {
    const st = this.elements(i);
    const header = this.isHeader(i);
    if (header && field === 1) return false;
    const e = header ? field - 1 : field;
    if (e + 1 >= st.length) return false;
    rs = st[e]!;
    re = st[e + 1]! - 1;
    // MSH-2 holds the delimiters themselves: splitting it would be nonsense.
    if (header && field === 2) return !(rep > 1 || comp > 1 || sub > 1);
    if (rep === 0) return true;
    if (!part(this.text, this.repCode, rep)) return false;
    if (comp === 0) return true;
    if (!part(this.text, this.compCode, comp)) return false;
    if (sub === 0) return true;
    return part(this.text, this.subCode, sub);
  }

  /** @internal */
  rawField(i: number, field: number): string | undefined {
    if (field === 1 && this.isHeader(i)) return this.delimiters.field;
    return this.locate(i, field, 0, 0, 0) ? this.text.slice(rs, re) : undefined;
  }

  /** @internal decoded leaf value. */
  value(i: number, field: number, rep = 1, comp = 1, sub = 1, report?: EscapeReport): string | undefined {
    if (field === 1 && this.isHeader(i)) return rep === 1 && comp === 1 && sub === 1 ? this.delimiters.field : undefined;
    if (!this.locate(i, field, rep, comp, sub)) return undefined;
    const raw = this.text.slice(rs, re);
    return field === 2 && this.isHeader(i) ? raw : decodeEscapes(raw, this.delimiters, report);
  }

  /** @internal every repetition, component and subcomponent of a field, decoded, in one pass. */
  tree(i: number, field: number, report?: EscapeReport): string[][][] {
    if (this.isHeader(i) && (field === 1 || field === 2)) {
      const v = this.value(i, field);
      return v === undefined ? [] : [[[v]]];
    }
    const r = this.range(i, field);
    if (!r) return [];
    const t = this.text;
    const d = this.delimiters;
    const reps: string[][][] = [];
    let comps: string[][] = [];
    let subs: string[] = [];
    let start = r[0];
    for (let p = r[0]; p <= r[1]; p++) {
      const c = p === r[1] ? -1 : t.charCodeAt(p);
      if (c === -1 || c === this.repCode || c === this.compCode || c === this.subCode) {
        subs.push(decodeEscapes(t.slice(start, p), d, report));
        start = p + 1;
        if (c !== this.subCode) {
          comps.push(subs);
          subs = [];
          if (c !== this.compCode) {
            reps.push(comps);
            comps = [];
          }
        }
      }
    }
    return reps;
  }
}

/** A view of one segment of a message; cheap to create, reads through the message. */
export class Hl7Segment {
  readonly message: Hl7Message;
  /** 0-based position in the message. */
  readonly position: number;
  constructor(message: Hl7Message, position: number) {
    this.message = message;
    this.position = position;
  }
  get id(): string {
    return this.message.segmentIds()[this.position]!;
  }
  /** 1-based index in the message, as error locations report it. */
  get index(): number {
    return this.position + 1;
  }
  get fieldCount(): number {
    return this.message.fieldCount(this.position);
  }
  /** Decoded leaf value; omitted positions mean the first. */
  get(field: number, repetition = 1, component = 1, subcomponent = 1, report?: EscapeReport): string | undefined {
    return this.message.value(this.position, field, repetition, component, subcomponent, report);
  }
  /** Undecoded field text, repetitions and all. */
  raw(field: number): string | undefined {
    return this.message.rawField(this.position, field);
  }
  /** All repetitions → components → subcomponents of a field, decoded. */
  tree(field: number, report?: EscapeReport): string[][][] {
    return this.message.tree(this.position, field, report);
  }
}
