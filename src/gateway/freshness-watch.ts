import { sql } from 'kysely';
import { recordAudit, SYSTEM_FACTS } from '../controls/audit/audit-event.ts';
import { describeError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Db, Store } from '../store/store.ts';
import { feedStatus } from './freshness.ts';
import { Periodic } from './periodic.ts';
import type { SourceRegistry } from './sources.ts';

/**
 * Watches every feed's cadence. A feed turning stale is written to `gateway_feeds`, counted in metrics, audited and
 * posted once to the alert webhook; recovery is posted too. Any worker may run it: a row lock per feed keeps two
 * workers from alerting twice.
 */
export interface FeedView {
  source: { id: string; name: string; kind: string; enabled: boolean };
  lastMessageAt: string | null;
  cadence: { everyMinutes: number; activeFrom?: string; activeTo?: string } | null;
  timeZone: string;
  watched: boolean;
  stale: boolean;
  staleSince: string | null;
  dueBy: string | null;
  backlog: Record<string, number>;
}

export async function listFeeds(db: Db, registry: SourceRegistry, now = new Date()): Promise<FeedView[]> {
  const sources = await registry.list(db);
  const last = await sql<{ source_id: string; last: Date | null }>`
    SELECT s.id AS source_id, (SELECT max(received_at) FROM gateway_messages m WHERE m.source_id = s.id) AS last FROM gateway_sources s`.execute(db);
  const counts = await sql<{ source_id: string; state: string; n: string }>`
    SELECT source_id, state, count(*) AS n FROM gateway_messages WHERE source_id IS NOT NULL AND state <> 'processed' GROUP BY source_id, state`.execute(db);
  const feeds = await db.selectFrom('gateway_feeds').select(['source_id', 'stale_since']).execute();
  const views: FeedView[] = [];
  for (const s of sources) {
    const profile = await registry.profile(db, s.id, s.profileVersion);
    const lastAt = last.rows.find((r) => r.source_id === s.id)?.last ?? null;
    const status = feedStatus(profile.cadence, profile.timeZone, lastAt, now);
    const backlog: Record<string, number> = {};
    for (const c of counts.rows.filter((r) => r.source_id === s.id)) backlog[c.state] = Number(c.n);
    views.push({
      source: { id: s.id, name: s.name, kind: s.kind, enabled: s.enabled },
      lastMessageAt: lastAt ? lastAt.toISOString() : null,
      cadence: profile.cadence ?? null,
      timeZone: profile.timeZone,
      watched: status.watched,
      stale: status.stale,
      staleSince: (feeds.find((f) => f.source_id === s.id)?.stale_since as Date | null | undefined)?.toISOString() ?? null,
      dueBy: status.dueBy ? status.dueBy.toISOString() : null,
      backlog,
    });
  }
  return views;
}

export class FreshnessWatcher {
  private readonly job: Periodic;

  constructor(
    private readonly store: Store,
    private readonly registry: SourceRegistry,
    private readonly log: Logger,
    private readonly metrics: Metrics | null,
    private readonly options: { intervalMs: number; webhook: string | undefined },
  ) {
    this.job = new Periodic(options.intervalMs, async () => void (await this.checkOnce()), (err) => this.log.warn('gateway.freshness.failed', describeError(err)));
  }

  start(): void {
    this.job.start();
  }

  stop(): Promise<void> {
    return this.job.stop();
  }

  /** Checks every feed once; returns the transitions it made. */
  async checkOnce(now = new Date()): Promise<{ stale: string[]; recovered: string[] }> {
    const views = await listFeeds(this.store.db, this.registry, now);
    const stale: string[] = [];
    const recovered: string[] = [];
    for (const view of views) {
      this.metrics?.gatewayFeedStale.set({ source: view.source.name }, view.stale ? 1 : 0);
      // Kept on the feed row for readers such as the chart banner; the truth is max(received_at) in the inbox.
      const lastAt = view.lastMessageAt ? new Date(view.lastMessageAt) : null;
      const changed = await this.store.tx(async (trx) => {
        const row = await trx.selectFrom('gateway_feeds').select(['stale_since']).where('source_id', '=', view.source.id).forUpdate().executeTakeFirst();
        const wasStale = Boolean(row?.stale_since);
        if (view.stale === wasStale) {
          await trx.updateTable('gateway_feeds').set({ checked_at: now, last_message_at: lastAt }).where('source_id', '=', view.source.id).execute();
          return false;
        }
        await trx
          .updateTable('gateway_feeds')
          .set(view.stale ? { stale_since: now, alerted_at: now, checked_at: now, last_message_at: lastAt } : { stale_since: null, checked_at: now, last_message_at: lastAt })
          .where('source_id', '=', view.source.id)
          .execute();
        await recordAudit(trx, null, SYSTEM_FACTS, {
          action: view.stale ? 'gateway.feed.stale' : 'gateway.feed.recovered',
          actionCode: 'E',
          resourceType: 'Endpoint',
          resourceIds: [view.source.id],
          outcome: 'success',
          sourceSystem: view.source.name,
          actor: { actorType: 'system', actorId: 'vigil-gateway', actorName: 'freshness-watch' },
          details: { last_message_at: view.lastMessageAt, every_minutes: view.cadence?.everyMinutes ?? null },
        });
        return true;
      });
      if (!changed) continue;
      (view.stale ? stale : recovered).push(view.source.name);
      await this.notify(view, now);
    }
    return { stale, recovered };
  }

  private async notify(view: FeedView, now: Date): Promise<void> {
    if (!this.options.webhook) return;
    try {
      const response = await fetch(this.options.webhook, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ kind: view.stale ? 'feed.stale' : 'feed.recovered', source: view.source.name, lastMessageAt: view.lastMessageAt, at: now.toISOString(), everyMinutes: view.cadence?.everyMinutes ?? null }),
        signal: AbortSignal.timeout(5_000),
      });
      if (!response.ok) this.log.warn('gateway.alert.refused', { status: response.status });
    } catch (err) {
      this.log.warn('gateway.alert.failed', describeError(err));
    }
  }
}
