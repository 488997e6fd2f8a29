/**
 * The bytes the audit log hashes. An event row becomes a record object with a fixed key order and JSON types only
 * (timestamps as ISO-8601 UTC with milliseconds, arrays kept in order, nulls kept), and the record becomes UTF-8 JSON
 * with no whitespace. The same function runs in the sealer, in `verify --live` and in the offline verifier, which only
 * has the record object from an export: so it is defined on that object, never on a driver's row.
 *
 * Changing anything here changes every leaf hash ever written: add a new version next to this one instead.
 */
import { VigilError } from '../../errors.ts';
import type { Selectable } from 'kysely';
import type { AuditEventsTable } from '../../store/schema.ts';

export const RECORD_VERSION = 1;

/** An event as it is hashed and exported. Field names follow the table so a reader can match them to the schema. */
export interface AuditRecord {
  v: 1;
  id: string;
  recorded_at: string;
  action: string;
  action_code: 'C' | 'R' | 'U' | 'D' | 'E';
  resource_type: string;
  resource_ids: string[];
  patient_id: string | null;
  actor_type: 'person' | 'client' | 'system' | 'anonymous';
  actor_id: string | null;
  actor_name: string | null;
  actor_roles: string[];
  on_behalf_of: string | null;
  outcome: 'success' | 'denied' | 'error';
  reason_code: string | null;
  purpose_of_use: string | null;
  break_glass: boolean;
  organization_id: string | null;
  facility_id: string | null;
  session_id: string | null;
  client_ip: string | null;
  user_agent: string | null;
  source_system: string | null;
  request_id: string | null;
  query: JsonValue;
  details: JsonValue;
}

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A row of audit.events as Kysely returns it (timestamps as Date, jsonb parsed). */
export type AuditEventRow = Selectable<AuditEventsTable>;

/** A record, or a line of an export, that is not what this version of Vigil writes. Says which field, never its value. */
export class AuditRecordError extends VigilError {
  constructor(message: string) {
    super('audit-record-invalid', 422, message);
  }
}

type FieldKind = 'string' | 'nullable-string' | 'string-array' | 'boolean' | 'timestamp' | 'json' | 'version' | 'action-code' | 'actor-type' | 'outcome';

// The key order of the canonical bytes. Never reorder; append only in a new RECORD_VERSION.
const FIELDS: readonly (readonly [keyof AuditRecord, FieldKind])[] = [
  ['v', 'version'],
  ['id', 'string'],
  ['recorded_at', 'timestamp'],
  ['action', 'string'],
  ['action_code', 'action-code'],
  ['resource_type', 'string'],
  ['resource_ids', 'string-array'],
  ['patient_id', 'nullable-string'],
  ['actor_type', 'actor-type'],
  ['actor_id', 'nullable-string'],
  ['actor_name', 'nullable-string'],
  ['actor_roles', 'string-array'],
  ['on_behalf_of', 'nullable-string'],
  ['outcome', 'outcome'],
  ['reason_code', 'nullable-string'],
  ['purpose_of_use', 'nullable-string'],
  ['break_glass', 'boolean'],
  ['organization_id', 'nullable-string'],
  ['facility_id', 'nullable-string'],
  ['session_id', 'nullable-string'],
  ['client_ip', 'nullable-string'],
  ['user_agent', 'nullable-string'],
  ['source_system', 'nullable-string'],
  ['request_id', 'nullable-string'],
  ['query', 'json'],
  ['details', 'json'],
];
const FIELD_NAMES = new Set<string>(FIELDS.map(([name]) => name));

// What Date#toISOString writes, and nothing else: one spelling per instant, so a record cannot be re-spelled.
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The canonical record of a row read from audit.events. */
export function recordFromRow(row: AuditEventRow): AuditRecord {
  return {
    v: RECORD_VERSION,
    id: row.id,
    recorded_at: row.recorded_at.toISOString(),
    action: row.action,
    action_code: row.action_code,
    resource_type: row.resource_type,
    resource_ids: [...row.resource_ids],
    patient_id: row.patient_id,
    actor_type: row.actor_type,
    actor_id: row.actor_id,
    actor_name: row.actor_name,
    actor_roles: [...row.actor_roles],
    on_behalf_of: row.on_behalf_of,
    outcome: row.outcome,
    reason_code: row.reason_code,
    purpose_of_use: row.purpose_of_use,
    break_glass: row.break_glass,
    organization_id: row.organization_id,
    facility_id: row.facility_id,
    session_id: row.session_id,
    client_ip: row.client_ip,
    user_agent: row.user_agent,
    source_system: row.source_system,
    request_id: row.request_id,
    query: toJsonValue(row.query ?? null),
    details: toJsonValue(row.details ?? null),
  };
}

/**
 * Checks that `value` is a record this version writes, exactly (no missing, extra or mistyped fields), and returns it
 * typed. The offline verifier calls it on records read from a file it does not trust.
 */
export function parseRecord(value: unknown): AuditRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new AuditRecordError('the record is not a JSON object');
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!FIELD_NAMES.has(key)) throw new AuditRecordError(`the record has a field this version does not write (${safeName(key)})`);
  }
  for (const [name, kind] of FIELDS) {
    if (!(name in obj)) throw new AuditRecordError(`the record has no field ${name}`);
    if (!fits(obj[name], kind)) throw new AuditRecordError(`the record's field ${name} is not a valid ${kind}`);
  }
  return obj as unknown as AuditRecord;
}

/** The canonical JSON text of a record (what {@link canonicalBytes} encodes). */
export function canonicalRecordJson(record: AuditRecord): string {
  // A record built by recordFromRow, or parsed from a canonical export, already has its keys in FIELDS order: then
  // the native serializer writes exactly the bytes the field-by-field path would, several times faster.
  if (inFieldOrder(record) && isCanonicalShape(record.query, 0) && isCanonicalShape(record.details, 0)) return JSON.stringify(record);
  let out = '{';
  for (let i = 0; i < FIELDS.length; i++) {
    const name = FIELDS[i]![0];
    if (i > 0) out += ',';
    out += JSON.stringify(name) + ':' + canonicalJson(record[name] as JsonValue);
  }
  return out + '}';
}

/** The leaf data of the Merkle tree: UTF-8 of the canonical JSON of the record. */
export function canonicalBytes(record: AuditRecord): Buffer {
  return Buffer.from(canonicalRecordJson(record), 'utf8');
}

/**
 * Deterministic JSON for free-form values (query, details, and the FHIR mapping): object keys sorted by UTF-16 code
 * units at every depth, no whitespace, numbers and strings as JSON.stringify writes them. jsonb already reorders keys
 * its own way; sorting here makes the bytes independent of the engine and of the order a caller built the object in.
 */
export function canonicalJson(value: JsonValue): string {
  // Values whose keys are already in order (the FHIR mapping builds them so) need no copy: JSON.stringify is exact.
  if (isCanonicalShape(value, 0)) return JSON.stringify(value);
  return sortedJson(value);
}

function sortedJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') {
    if (value === undefined || (typeof value === 'number' && !Number.isFinite(value))) throw new AuditRecordError('a value in the record is not JSON');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return '[' + value.map((v) => sortedJson(v)).join(',') + ']';
  const keys = Object.keys(value).sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (i > 0) out += ',';
    out += JSON.stringify(key) + ':' + sortedJson(value[key] as JsonValue);
  }
  return out + '}';
}

/** True when JSON.stringify(value) is already its canonical JSON (tests hold the FHIR mapping to this). */
export function hasCanonicalKeyOrder(value: unknown): boolean {
  return isCanonicalShape(value, 0);
}

// True when JSON.stringify(value) is already canonical: plain objects with keys in sorted order (as Object.keys
// yields them, so integer-like keys that JavaScript moves first only pass if that is also their sorted order),
// finite numbers, no undefined, nothing but JSON types.
function isCanonicalShape(value: unknown, depth: number): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value !== 'object' || depth > 64) return false;
  if (Array.isArray(value)) {
    for (const v of value) if (!isCanonicalShape(v, depth + 1)) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    if (i > 0 && !(keys[i - 1]! < keys[i]!)) return false;
    if (!isCanonicalShape((value as Record<string, unknown>)[keys[i]!], depth + 1)) return false;
  }
  return true;
}

function inFieldOrder(record: AuditRecord): boolean {
  const keys = Object.keys(record);
  if (keys.length !== FIELDS.length) return false;
  for (let i = 0; i < keys.length; i++) if (FIELDS[i]![0] !== keys[i]) return false;
  return true;
}

/** The text a checkpoint's signature covers. Versioned so that a later format can never be confused with this one. */
export const CHECKPOINT_FORMAT = 'vigil-audit-checkpoint/v1';

export interface CheckpointFields {
  treeSize: number;
  rootHash: Uint8Array;
  chainHash: Uint8Array;
  issuedAt: Date;
  keyId: string;
}

export function checkpointMessage(c: CheckpointFields): Buffer {
  return Buffer.from(
    [CHECKPOINT_FORMAT, String(c.treeSize), Buffer.from(c.rootHash).toString('base64'), Buffer.from(c.chainHash).toString('hex'), c.issuedAt.toISOString(), c.keyId].join('\n'),
    'utf8',
  );
}

/** The text an export manifest's signature covers: a format line, then the manifest without its signature. */
export const EXPORT_FORMAT = 'vigil-audit-export/v1';

export function manifestMessage(manifestWithoutSignature: Record<string, JsonValue>): Buffer {
  return Buffer.from(`${EXPORT_FORMAT}\n${canonicalJson(manifestWithoutSignature)}`, 'utf8');
}

function fits(value: unknown, kind: FieldKind): boolean {
  switch (kind) {
    case 'version':
      return value === RECORD_VERSION;
    case 'string':
      return typeof value === 'string';
    case 'nullable-string':
      return value === null || typeof value === 'string';
    case 'string-array':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
    case 'boolean':
      return typeof value === 'boolean';
    case 'timestamp':
      return typeof value === 'string' && ISO_MS.test(value) && !Number.isNaN(Date.parse(value)) && new Date(value).toISOString() === value;
    case 'json':
      return isJsonValue(value, 0);
    case 'action-code':
      return value === 'C' || value === 'R' || value === 'U' || value === 'D' || value === 'E';
    case 'actor-type':
      return value === 'person' || value === 'client' || value === 'system' || value === 'anonymous';
    case 'outcome':
      return value === 'success' || value === 'denied' || value === 'error';
  }
}

/** The check {@link parseRecord} makes of `query` and `details`: plain JSON, finite numbers, at most 64 levels deep. */
export function isRecordJsonValue(value: unknown): value is JsonValue {
  return isJsonValue(value, 0);
}

function isJsonValue(value: unknown, depth: number): boolean {
  if (depth > 64) return false;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((v) => isJsonValue(v, depth + 1));
  if (typeof value === 'object') return Object.values(value as object).every((v) => isJsonValue(v, depth + 1));
  return false;
}

function toJsonValue(value: unknown): JsonValue {
  if (!isJsonValue(value, 0)) throw new AuditRecordError('an audit event holds a query or details value that is not plain JSON');
  return value as JsonValue;
}

// A field name from a file may be anything; keep it short and printable so an error line cannot carry a payload.
function safeName(key: string): string {
  return /^[A-Za-z0-9_]{1,40}$/.test(key) ? key : 'unprintable name';
}
