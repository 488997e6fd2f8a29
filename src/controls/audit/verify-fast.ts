/**
 * The offline verifier's fast path for one event line, as the exporter writes it. A line passes only if it is, byte
 * for byte, the line the exporter would write for the expected seq: the record in canonical form with every field
 * valid (what parseRecord accepts), the leaf hash recomputed from the record's bytes, the chain hash from the
 * previous one, and the FHIR AuditEvent equal to the record's own mapping. Anything else returns undefined and the
 * full check in verify.ts decides and names the problem, so this path can only make verification faster, never
 * change its answer (a test runs both over valid files and every tamper case).
 *
 * Why it is fast (measured with --cpu-prof on a 100k-event export): one regular expression reads the whole canonical
 * record (the common case has no escapes in its strings, so each captured text is the value itself), instead of
 * JSON.parse, a field-by-field validation and a re-serialisation to prove the record canonical; the AuditEvent is
 * compared in place with the record's mapping (matchFhirAuditEventJson) instead of built as objects and serialised,
 * which alone cost more than everything else; the leaf hash is taken over the record's own text; hashes are one-shot
 * (crypto.hash) over reused buffers.
 */
import { hash } from 'node:crypto';
import { canonicalJson, isRecordJsonValue, type AuditRecord, type JsonValue } from './canonical.ts';
import { matchFhirAuditEventJson } from './fhir-audit-event.ts';
import type { MerkleAccumulator } from './merkle.ts';

// A JSON string as JSON.stringify writes it when nothing in it needs escaping: no quote, backslash, control character
// or surrogate (a lone surrogate is escaped by JSON.stringify; a pair is not, but such strings take the full check).
const STR = String.raw`"([^"\\\x00-\x1f\ud800-\udfff]*)"`;
const NSTR = String.raw`(null|"[^"\\\x00-\x1f\ud800-\udfff]*")`;
const ARR = String.raw`\[((?:"[^"\\\x00-\x1f\ud800-\udfff]*"(?:,"[^"\\\x00-\x1f\ud800-\udfff]*")*)?)\]`;
const HASH = String.raw`"([A-Za-z0-9+/]{43}=)"`;

// The event line up to the value of `query`, in the exporter's key order and the record's field order (canonical.ts
// FIELDS). Group numbers are the indexes below.
const LINE_HEAD = new RegExp(
  [
    String.raw`^\{"type":"event","seq":(0|[1-9]\d{0,15}),"leaf_hash":${HASH},"chain_hash":${HASH},"record":\{"v":1`,
    `"id":${STR}`,
    // A time of day that exists (see validTimestamp), so only the date needs Date's check.
    String.raw`"recorded_at":"(\d{4}-\d{2}-\d{2}T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z)"`,
    `"action":${STR}`,
    `"action_code":"([CRUDE])"`,
    `"resource_type":${STR}`,
    `"resource_ids":${ARR}`,
    `"patient_id":${NSTR}`,
    `"actor_type":"(person|client|system|anonymous)"`,
    `"actor_id":${NSTR}`,
    `"actor_name":${NSTR}`,
    `"actor_roles":${ARR}`,
    `"on_behalf_of":${NSTR}`,
    `"outcome":"(success|denied|error)"`,
    `"reason_code":${NSTR}`,
    `"purpose_of_use":${NSTR}`,
    `"break_glass":(true|false)`,
    `"organization_id":${NSTR}`,
    `"facility_id":${NSTR}`,
    `"session_id":${NSTR}`,
    `"client_ip":${NSTR}`,
    `"user_agent":${NSTR}`,
    `"source_system":${NSTR}`,
    `"request_id":${NSTR}`,
    `"query":`,
  ].join(','),
);

// Where the record starts: the line head has a fixed length but for the digits of seq (two base64 hashes of 44).
const RECORD_OFFSET = '{"type":"event","seq":,"leaf_hash":"","chain_hash":"","record":'.length + 88;
const AUDIT_EVENT_KEY = ',"auditEvent":';
const NO_QUERY_NO_DETAILS = 'null,"details":null}';
const LEAF_PREFIX = '\u0000';

const nullable = (text: string): string | null => (text === 'null' ? null : text.slice(1, -1));
const list = (text: string): string[] => (text === '' ? [] : text.slice(1, -1).split('","'));

// The date of the last timestamp that passed the full check. Events in a file are in time order, so most share it.
let validDay = '';

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;

/**
 * parseRecord's check of recorded_at: the text Date#toISOString writes for some instant. With a time of day from
 * 00:00:00.000 to 23:59:59.999 only the calendar date can be wrong, and a date already checked needs no second look.
 */
export function validTimestamp(text: string): boolean {
  if (!TIMESTAMP.test(text)) return false;
  if (text.slice(0, 10) === validDay) return true;
  const time = Date.parse(text);
  if (Number.isNaN(time) || new Date(time).toISOString() !== text) return false;
  validDay = text.slice(0, 10);
  return true;
}

export interface FastEvent {
  leaf: Buffer;
  chain: Buffer;
}

// Reused for the chain hash input (previous chain hash ‖ leaf hash); the hash copies it.
const chainInput = Buffer.alloc(64);

/** The event line's leaf and chain hashes when it is exactly the exporter's line for `seq` after `prevChain`. */
export function fastEventLine(text: string, seq: number, prevChain: Uint8Array): FastEvent | undefined {
  const m = LINE_HEAD.exec(text);
  if (m === null || Number(m[1]) !== seq || prevChain.length !== 32) return undefined;
  const recordedAt = m[5]!;
  if (!validTimestamp(recordedAt)) return undefined;

  // query and details are free-form JSON: the common case is both null; otherwise parse them and prove the text
  // is their canonical JSON. Inside JSON strings quotes are escaped, and the AuditEvent carries query and details only
  // as strings, so the last `,"auditEvent":` is the only place the record can end; were it not, the comparison below
  // would fail and the full check decide.
  const tail = m[0].length;
  let query: JsonValue = null;
  let details: JsonValue = null;
  let recordEnd: number;
  if (text.startsWith(NO_QUERY_NO_DETAILS, tail)) {
    recordEnd = tail + NO_QUERY_NO_DETAILS.length;
  } else {
    recordEnd = text.lastIndexOf(AUDIT_EVENT_KEY);
    if (recordEnd < tail) return undefined;
    const rest = `{"query":${text.slice(tail, recordEnd)}`;
    let parsed: { query?: unknown; details?: unknown };
    try {
      parsed = JSON.parse(rest) as typeof parsed;
    } catch {
      return undefined;
    }
    if (!isRecordJsonValue(parsed.query) || !isRecordJsonValue(parsed.details)) return undefined;
    query = parsed.query;
    details = parsed.details;
    if (`{"query":${canonicalJson(query)},"details":${canonicalJson(details)}}` !== rest) return undefined;
  }

  const record: AuditRecord = {
    v: 1,
    id: m[4]!,
    recorded_at: recordedAt,
    action: m[6]!,
    action_code: m[7] as AuditRecord['action_code'],
    resource_type: m[8]!,
    resource_ids: list(m[9]!),
    patient_id: nullable(m[10]!),
    actor_type: m[11] as AuditRecord['actor_type'],
    actor_id: nullable(m[12]!),
    actor_name: nullable(m[13]!),
    actor_roles: list(m[14]!),
    on_behalf_of: nullable(m[15]!),
    outcome: m[16] as AuditRecord['outcome'],
    reason_code: nullable(m[17]!),
    purpose_of_use: nullable(m[18]!),
    break_glass: m[19] === 'true',
    organization_id: nullable(m[20]!),
    facility_id: nullable(m[21]!),
    session_id: nullable(m[22]!),
    client_ip: nullable(m[23]!),
    user_agent: nullable(m[24]!),
    source_system: nullable(m[25]!),
    request_id: nullable(m[26]!),
    query,
    details,
  };
  if (!text.startsWith(AUDIT_EVENT_KEY, recordEnd)) return undefined;
  const fhirEnd = matchFhirAuditEventJson(text, recordEnd + AUDIT_EVENT_KEY.length, record);
  if (fhirEnd < 0 || fhirEnd !== text.length - 1 || text.charCodeAt(fhirEnd) !== 0x7d) return undefined;

  // The record's text is its canonical JSON, so its UTF-8 is the sealed bytes (RFC 6962 leaf: SHA-256(0x00 ‖ bytes)).
  const leaf = hash('sha256', LEAF_PREFIX + text.slice(RECORD_OFFSET + m[1]!.length, recordEnd), 'buffer');
  if (leaf.toString('base64') !== m[2]) return undefined;
  chainInput.set(prevChain, 0);
  chainInput.set(leaf, 32);
  const chain = hash('sha256', chainInput, 'buffer');
  if (chain.toString('base64') !== m[3]) return undefined;
  return { leaf, chain };
}

const EMPTY_ROOT = hash('sha256', '', 'buffer');
// Reused for an interior node's hash input (0x01 ‖ left ‖ right); the hash copies it.
const nodeInput = Buffer.alloc(65, 0x01);

function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  nodeInput.set(left, 1);
  nodeInput.set(right, 33);
  return hash('sha256', nodeInput, 'buffer');
}

/**
 * The offline verifier's Merkle accumulator: the same tree as merkle.ts's MerkleAccumulator (RFC 6962, the right
 * frontier of perfect subtrees), started from one, with one-shot hashes over a reused buffer and no defensive copies:
 * it takes only the leaf hashes the verifier has just computed itself. A test holds its root to MerkleAccumulator's.
 */
export class VerifierAccumulator {
  #size: number;
  readonly #frontier: Buffer[];

  constructor(from: MerkleAccumulator) {
    const state = from.toJSON();
    this.#size = state.size;
    this.#frontier = state.frontier.map((h) => Buffer.from(h, 'hex'));
  }

  get size(): number {
    return this.#size;
  }

  /** Adds the next leaf hash (32 bytes, not modified afterwards by the caller). */
  append(leaf: Buffer): void {
    let carry = leaf;
    for (let s = this.#size; s % 2 === 1; s = Math.floor(s / 2)) carry = nodeHash(this.#frontier.pop()!, carry);
    this.#frontier.push(carry);
    this.#size += 1;
  }

  root(): Buffer {
    if (this.#frontier.length === 0) return Buffer.from(EMPTY_ROOT);
    let right = this.#frontier[this.#frontier.length - 1]!;
    for (let i = this.#frontier.length - 2; i >= 0; i--) right = nodeHash(this.#frontier[i]!, right);
    return Buffer.from(right);
  }
}
