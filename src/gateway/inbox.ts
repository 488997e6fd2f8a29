import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { ArchiveKeys } from '../controls/keys/archive-keys.ts';
import type { Db, Tx } from '../store/store.ts';
import type { GatewayTransport } from '../store/schema.ts';

/**
 * The inbox: every message that reaches a listener is stored here, raw bytes encrypted, before anything answers the
 * sender. One statement writes the row and the first step of its timeline, so an acknowledged message is always on
 * disk with its history. The raw copy is never modified afterwards; corrections are new rows that point back.
 */
export interface Arrival {
  sourceId: string | null;
  transport: GatewayTransport;
  peer: string | null;
  raw: Uint8Array;
  messageType: string | null;
  controlId: string | null;
  profileVersion: number | null;
  /** Quarantined arrivals are kept for the operator and never processed. */
  quarantine?: { code: string; reason: string };
  ackCode: string | null;
  corrects?: string;
  /** Who delivered it: `mllp`, `fhir:<client>`, `operator:<person>`. */
  actor: string;
  /** Facts for the timeline (never content): parser notes, the ACK sent. */
  detail?: Record<string, unknown>;
}

export interface Stored {
  id: string;
  /** True when the same message (source, control id, content) was already in the inbox: nothing new was stored. */
  duplicate: boolean;
}

export function contentHash(raw: Uint8Array): Buffer {
  return createHash('sha256').update(raw).digest();
}

/** The row an arrival becomes, with the key that identifies a repeat (none when the dedupe index cannot match it). */
interface Row {
  id: string;
  arrival: Arrival;
  hash: Buffer;
  dedupeKey: string | undefined;
}

/** Stores one arrival: the row and its first timeline step in one statement (see storeArrivals). */
export async function storeArrival(db: Db | Tx, keys: ArchiveKeys, arrival: Arrival): Promise<Stored> {
  const [stored] = await storeArrivals(db, keys, [arrival]);
  return stored!;
}

/**
 * Stores arrivals together: one statement writes every new row with the first step of its timeline, so one commit
 * (one WAL flush) covers them all, and either all of them are on disk or none is. A repeat of a stored message, or of
 * an earlier arrival in the same call, stores nothing: it answers with the first one's id and notes the repeat on that
 * message's timeline. Results are in the order of `arrivals`.
 */
export async function storeArrivals(db: Db | Tx, keys: ArchiveKeys, arrivals: readonly Arrival[]): Promise<Stored[]> {
  if (arrivals.length === 0) return [];
  const rows: Row[] = [];
  /** For each arrival, the row that stands for it: its own, or the first arrival with the same dedupe key. */
  const rowOf: Row[] = [];
  const byKey = new Map<string, Row>();
  for (const arrival of arrivals) {
    const hash = contentHash(arrival.raw);
    // The dedupe index skips corrected copies, and NULLs never collide in it.
    const dedupeKey = arrival.sourceId !== null && arrival.controlId !== null && !arrival.corrects ? `${arrival.sourceId}|${arrival.controlId}|${hash.toString('hex')}` : undefined;
    const first = dedupeKey === undefined ? undefined : byKey.get(dedupeKey);
    if (first) {
      rowOf.push(first);
      continue;
    }
    const row: Row = { id: uuidv7(), arrival, hash, dedupeKey };
    if (dedupeKey !== undefined) byKey.set(dedupeKey, row);
    rows.push(row);
    rowOf.push(row);
  }
  const values = [];
  for (const { id, arrival, hash } of rows) {
    const key = await keys.forNew(db, arrival.sourceId ?? 'unregistered');
    const state = arrival.quarantine ? 'quarantined' : 'received';
    const detail = JSON.stringify({ transport: arrival.transport, bytes: arrival.raw.length, ...(arrival.quarantine ? { reason_code: arrival.quarantine.code } : {}), ...(arrival.ackCode ? { ack: arrival.ackCode } : {}), ...arrival.detail });
    values.push(sql`(${id}::uuid, ${arrival.sourceId}::uuid, ${arrival.transport}::text, ${arrival.peer}::text, ${arrival.messageType}::text, ${arrival.controlId}::text,
        ${hash}::bytea, ${arrival.raw.length}::integer, ${key.id}::uuid, ${keys.encrypt(key, id, arrival.raw)}::bytea, ${state}::text, ${arrival.quarantine?.code ?? null}::text,
        ${arrival.quarantine?.reason ?? null}::text, ${arrival.corrects ?? null}::uuid, ${arrival.profileVersion}::integer, ${arrival.ackCode}::text, ${detail}::jsonb, ${arrival.actor}::text)`);
  }
  const inserted = await sql<{ id: string }>`
    WITH v (id, source_id, transport, peer, message_type, control_id, content_hash, size_bytes, archive_key_id, raw, state, reason_code,
        reason, corrects, profile_version, ack_code, detail, actor) AS (VALUES ${sql.join(values)}),
    m AS (
      INSERT INTO gateway_messages (id, source_id, transport, peer, message_type, control_id, content_hash, size_bytes,
        archive_key_id, raw, state, reason_code, reason, corrects, profile_version, ack_code)
      SELECT id, source_id, transport, peer, message_type, control_id, content_hash, size_bytes, archive_key_id, raw, state, reason_code,
        reason, corrects, profile_version, ack_code FROM v
      ON CONFLICT (source_id, control_id, content_hash) WHERE corrects IS NULL DO NOTHING
      RETURNING id),
    e AS (INSERT INTO gateway_message_events (message_id, step, detail, actor)
      SELECT v.id, v.state, v.detail, v.actor FROM v JOIN m ON m.id = v.id ORDER BY v.id)
    SELECT id FROM m`.execute(db);
  const written = new Set(inserted.rows.map((r) => r.id));
  // A row not written is a repeat of a message stored before: it takes that message's id.
  const finalId = new Map<Row, string>();
  for (const row of rows) {
    if (written.has(row.id)) finalId.set(row, row.id);
    else {
      const existing = await db
        .selectFrom('gateway_messages')
        .select('id')
        .where('source_id', '=', row.arrival.sourceId)
        .where('control_id', '=', row.arrival.controlId)
        .where('content_hash', '=', row.hash)
        .where('corrects', 'is', null)
        .executeTakeFirstOrThrow();
      finalId.set(row, existing.id);
    }
  }
  const results: Stored[] = [];
  const repeats: { message_id: string; step: string; actor: string; detail: string }[] = [];
  for (const [i, arrival] of arrivals.entries()) {
    const row = rowOf[i]!;
    const id = finalId.get(row)!;
    const duplicate = row.arrival !== arrival || !written.has(row.id);
    if (duplicate) repeats.push({ message_id: id, step: 'delivered-again', actor: arrival.actor, detail: JSON.stringify({ transport: arrival.transport }) });
    results.push({ id, duplicate });
  }
  if (repeats.length > 0) await db.insertInto('gateway_message_events').values(repeats).execute();
  return results;
}

export async function timeline(db: Db | Tx, messageId: string, step: string, actor: string, detail?: Record<string, unknown>): Promise<void> {
  await db.insertInto('gateway_message_events').values({ message_id: messageId, step, actor, detail: detail ? JSON.stringify(detail) : null }).execute();
}
