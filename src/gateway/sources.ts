import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { parseSourceProfile } from '../adapters/source-profile-parse.ts';
import type { SourceProfile } from '../adapters/source-profile.ts';
import { recordAudit, SYSTEM_FACTS, type AuditActor } from '../controls/audit/audit-event.ts';
import { forgetActiveMedicationLists } from '../core/clinical/active-medication-list.ts';
import { VigilError } from '../errors.ts';
import type { Db, Tx } from '../store/store.ts';

/**
 * The registry of sending systems. An HL7 source is recognised by MSH-3 (sending application) and MSH-4 (sending
 * facility), and by peer address when its allowlist is not empty; FHIR and file sources by the system client they post
 * as. Each has a versioned profile: a change makes a new version (audited) and messages remember which they used.
 */
export interface GatewaySource {
  id: string;
  name: string;
  kind: 'hl7v2' | 'fhir' | 'file';
  msh3: string | null;
  msh4: string | null;
  peerAllowlist: string[];
  clientId: string | null;
  profileVersion: number;
  enabled: boolean;
}

export interface NewSource {
  name: string;
  kind: GatewaySource['kind'];
  msh3?: string;
  msh4?: string;
  peerAllowlist?: string[];
  clientId?: string;
  profile?: unknown;
}

export class SourceConflictError extends VigilError {
  constructor(what: string) {
    super('source-conflict', 409, `A source with this ${what} is already registered; change or remove it first.`);
  }
}

export class UnknownSourceError extends VigilError {
  constructor() {
    super('source-unknown', 404, 'No source is registered under that id or name.');
  }
}

export type SourceActor = Partial<AuditActor> & { actorName: string | null };

const COLUMNS = ['id', 'name', 'kind', 'msh3', 'msh4', 'peer_allowlist', 'client_id', 'profile_version', 'enabled'] as const;
type Row = { id: string; name: string; kind: GatewaySource['kind']; msh3: string | null; msh4: string | null; peer_allowlist: string[]; client_id: string | null; profile_version: number; enabled: boolean };
const toSource = (r: Row): GatewaySource => ({
  id: r.id,
  name: r.name,
  kind: r.kind,
  msh3: r.msh3,
  msh4: r.msh4,
  peerAllowlist: r.peer_allowlist,
  clientId: r.client_id,
  profileVersion: r.profile_version,
  enabled: r.enabled,
});

/** Peer addresses arrive as `::ffff:127.0.0.1` from dual-stack sockets; the allowlist is written as `127.0.0.1`. */
export function peerAllowed(allowlist: readonly string[], peer: string | undefined): boolean {
  if (allowlist.length === 0) return true;
  if (!peer) return false;
  const bare = peer.startsWith('::ffff:') ? peer.slice(7) : peer;
  return allowlist.includes(bare) || allowlist.includes(peer);
}

export class SourceRegistry {
  private byHl7 = new Map<string, { source: GatewaySource | null; at: number }>();
  private readonly profiles = new Map<string, SourceProfile>();

  /** How long a looked-up source is trusted before it is read again (a disabled source stops within this time). */
  constructor(private readonly cacheMs = 5_000) {}

  async add(db: Db | Tx, input: NewSource, actor: SourceActor): Promise<GatewaySource> {
    const profile = parseSourceProfile(input.profile);
    if (input.kind === 'hl7v2' && (!input.msh3 || !input.msh4)) throw new VigilError('source-identity-missing', 400, 'An HL7 v2 source needs its MSH-3 (sending application) and MSH-4 (sending facility).');
    const id = uuidv7();
    const exists = await db
      .selectFrom('gateway_sources')
      .select(['name', 'msh3', 'msh4', 'client_id'])
      .where((eb) =>
        eb.or([
          eb('name', '=', input.name),
          ...(input.kind === 'hl7v2' ? [eb.and([eb('kind', '=', 'hl7v2'), eb('msh3', '=', input.msh3!), eb('msh4', '=', input.msh4!)])] : []),
          ...(input.clientId ? [eb('client_id', '=', input.clientId)] : []),
        ]),
      )
      .executeTakeFirst();
    if (exists) throw new SourceConflictError(exists.name === input.name ? 'name' : exists.client_id && exists.client_id === input.clientId ? 'system client' : 'MSH-3 and MSH-4');
    await db
      .insertInto('gateway_sources')
      .values({ id, name: input.name, kind: input.kind, msh3: input.msh3 ?? null, msh4: input.msh4 ?? null, peer_allowlist: input.peerAllowlist ?? [], client_id: input.clientId ?? null })
      .execute();
    await db.insertInto('gateway_source_profiles').values({ source_id: id, version: 1, profile: JSON.stringify(profile), changed_by: actor.actorName ?? 'unknown' }).execute();
    await db.insertInto('gateway_feeds').values({ source_id: id, last_message_at: null, stale_since: null, alerted_at: null, checked_at: null }).execute();
    await recordAudit(db, null, SYSTEM_FACTS, {
      action: 'gateway.source.create',
      actionCode: 'C',
      resourceType: 'Endpoint',
      resourceIds: [id],
      outcome: 'success',
      actor: { actorType: 'system', actorId: 'vigil-cli', ...actor },
      details: { kind: input.kind, name: input.name, profile_version: 1, peers: (input.peerAllowlist ?? []).length },
    });
    this.byHl7.clear();
    return (await this.get(db, id))!;
  }

  /** Stores a new profile version; messages processed from now on use it, and past ones can be replayed over it. */
  async updateProfile(db: Db | Tx, sourceId: string, profileInput: unknown, actor: SourceActor): Promise<number> {
    const profile = parseSourceProfile(profileInput);
    const updated = await db
      .updateTable('gateway_sources')
      .set({ profile_version: sql`profile_version + 1`, updated_at: sql`now()` })
      .where('id', '=', sourceId)
      .returning('profile_version')
      .executeTakeFirst();
    if (!updated) throw new UnknownSourceError();
    await db.insertInto('gateway_source_profiles').values({ source_id: sourceId, version: updated.profile_version, profile: JSON.stringify(profile), changed_by: actor.actorName ?? 'unknown' }).execute();
    // Medications inferred stopped from this source's lists are a reading of the old profile: undone with it.
    const restored = profile.medications === 'active-only' ? 0 : await forgetActiveMedicationLists(db, sourceId);
    await recordAudit(db, null, SYSTEM_FACTS, {
      action: 'gateway.source.profile-update',
      actionCode: 'U',
      resourceType: 'Endpoint',
      resourceIds: [sourceId],
      outcome: 'success',
      actor: { actorType: 'system', actorId: 'vigil-cli', ...actor },
      details: { profile_version: updated.profile_version, ...(restored > 0 ? { medications_restored: restored } : {}) },
    });
    this.byHl7.clear();
    return updated.profile_version;
  }

  async get(db: Db | Tx, idOrName: string): Promise<GatewaySource | undefined> {
    const isId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(idOrName);
    const row = await db.selectFrom('gateway_sources').select(COLUMNS).where(isId ? 'id' : 'name', '=', idOrName).executeTakeFirst();
    return row ? toSource(row) : undefined;
  }

  async list(db: Db | Tx): Promise<GatewaySource[]> {
    return (await db.selectFrom('gateway_sources').select(COLUMNS).orderBy('name').execute()).map(toSource);
  }

  /** The registered HL7 source for MSH-3/MSH-4 (cached briefly: this is on the receive path of every message). */
  async findHl7(db: Db | Tx, msh3: string, msh4: string): Promise<GatewaySource | null> {
    const key = `${msh3}\u0000${msh4}`;
    const hit = this.byHl7.get(key);
    if (hit && Date.now() - hit.at < this.cacheMs) return hit.source;
    const row = await db.selectFrom('gateway_sources').select(COLUMNS).where('kind', '=', 'hl7v2').where('msh3', '=', msh3).where('msh4', '=', msh4).executeTakeFirst();
    const source = row ? toSource(row) : null;
    if (this.byHl7.size > 10_000) this.byHl7 = new Map();
    this.byHl7.set(key, { source, at: Date.now() });
    return source;
  }

  /** A profile version never changes once written, so it is cached for good. */
  async profile(db: Db | Tx, sourceId: string, version: number): Promise<SourceProfile> {
    const key = `${sourceId}@${version}`;
    const cached = this.profiles.get(key);
    if (cached) return cached;
    const row = await db.selectFrom('gateway_source_profiles').select('profile').where('source_id', '=', sourceId).where('version', '=', version).executeTakeFirst();
    if (!row) throw new UnknownSourceError();
    const profile = parseSourceProfile(row.profile);
    this.profiles.set(key, profile);
    return profile;
  }
}
