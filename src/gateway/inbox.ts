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

export async function storeArrival(db: Db | Tx, keys: ArchiveKeys, arrival: Arrival): Promise<Stored> {
  const id = uuidv7();
  const hash = contentHash(arrival.raw);
  const key = await keys.forNew(db, arrival.sourceId ?? 'unregistered');
  const raw = keys.encrypt(key, id, arrival.raw);
  const state = arrival.quarantine ? 'quarantined' : 'received';
  const detail = JSON.stringify({ transport: arrival.transport, bytes: arrival.raw.length, ...(arrival.quarantine ? { reason_code: arrival.quarantine.code } : {}), ...(arrival.ackCode ? { ack: arrival.ackCode } : {}), ...arrival.detail });
  const inserted = await sql<{ id: string }>`
    WITH m AS (
      INSERT INTO gateway_messages (id, source_id, transport, peer, message_type, control_id, content_hash, size_bytes,
        archive_key_id, raw, state, reason_code, reason, corrects, profile_version, ack_code)
      VALUES (${id}, ${arrival.sourceId}, ${arrival.transport}, ${arrival.peer}, ${arrival.messageType}, ${arrival.controlId},
        ${hash}, ${arrival.raw.length}, ${key.id}, ${raw}, ${state}, ${arrival.quarantine?.code ?? null},
        ${arrival.quarantine?.reason ?? null}, ${arrival.corrects ?? null}, ${arrival.profileVersion}, ${arrival.ackCode})
      ON CONFLICT (source_id, control_id, content_hash) WHERE corrects IS NULL DO NOTHING
      RETURNING id),
    e AS (INSERT INTO gateway_message_events (message_id, step, detail, actor)
      SELECT m.id, ${state}, ${detail}::jsonb, ${arrival.actor} FROM m)
    SELECT id FROM m`.execute(db);
  if (inserted.rows.length > 0) return { id, duplicate: false };
  const existing = await db
    .selectFrom('gateway_messages')
    .select('id')
    .where('source_id', '=', arrival.sourceId)
    .where('control_id', '=', arrival.controlId)
    .where('content_hash', '=', hash)
    .where('corrects', 'is', null)
    .executeTakeFirstOrThrow();
  await timeline(db, existing.id, 'delivered-again', arrival.actor, { transport: arrival.transport });
  return { id: existing.id, duplicate: true };
}

export async function timeline(db: Db | Tx, messageId: string, step: string, actor: string, detail?: Record<string, unknown>): Promise<void> {
  await db.insertInto('gateway_message_events').values({ message_id: messageId, step, actor, detail: detail ? JSON.stringify(detail) : null }).execute();
}
