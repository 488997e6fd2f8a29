import { sql } from 'kysely';
import type { Db } from '../../../store/store.ts';

/**
 * A resource whose source feed is stale now carries a `possibly-stale` tag, so a client sees on the resource itself
 * what the chart's banner says: the sender has gone quiet and newer facts may exist there. The tag is computed at
 * read time (a feed recovers without any resource being rewritten), from the feed named in `meta.source`.
 */
export const FRESHNESS_SYSTEM = 'urn:vigil:fhir:CodeSystem/freshness';
const SOURCE_PREFIX = 'urn:vigil:source:';
const STALE_TAG = { system: FRESHNESS_SYSTEM, code: 'possibly-stale', display: 'The feed that sent this has gone quiet; newer data may exist at the source' };

interface Tagged {
  resourceType?: unknown;
  meta?: { source?: unknown; tag?: { system?: string; code?: string }[] };
  entry?: { resource?: Tagged }[];
}

/** Tags, in place, the resource or every entry of the Bundle whose source is one of `staleSources` (by name). */
export function tagPossiblyStale(body: unknown, staleSources: ReadonlySet<string>): void {
  if (staleSources.size === 0 || typeof body !== 'object' || body === null) return;
  const resource = body as Tagged;
  if (resource.resourceType === 'Bundle') {
    for (const entry of resource.entry ?? []) if (entry.resource) tagPossiblyStale(entry.resource, staleSources);
    return;
  }
  const source = resource.meta?.source;
  if (typeof source !== 'string' || !source.startsWith(SOURCE_PREFIX) || !staleSources.has(source.slice(SOURCE_PREFIX.length))) return;
  const tags = (resource.meta!.tag ??= []);
  if (!tags.some((t) => t.system === FRESHNESS_SYSTEM)) tags.push({ ...STALE_TAG });
}

/**
 * The names of the sources whose feeds are stale now. Read at most once a second per process: staleness is decided by
 * a job that runs far less often, and a FHIR search must not pay a query for it every time.
 */
export class StaleSources {
  private cached: { at: number; names: Promise<Set<string>> } | undefined;
  constructor(
    private readonly db: () => Db,
    private readonly maxAgeMs = 1_000,
  ) {}

  names(): Promise<Set<string>> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at > this.maxAgeMs) {
      const names = sql<{ name: string }>`select s.name from gateway_feeds f join gateway_sources s on s.id = f.source_id where f.stale_since is not null`
        .execute(this.db())
        .then((r) => new Set(r.rows.map((row) => row.name)));
      this.cached = { at: now, names };
      names.catch(() => (this.cached = undefined));
    }
    return this.cached.names;
  }
}
