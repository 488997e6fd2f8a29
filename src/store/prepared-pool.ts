import { createHash } from 'node:crypto';
import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import type pg from 'pg';

/**
 * Gives the statements a process runs again and again a name on the server, so PostgreSQL parses and plans them once
 * per connection instead of on every call. Measured on the gateway's worker: of 2.4 ms of server time per message,
 * 1.2 ms was planning, mostly the fact upsert and the identity resolution (large statements planned anew 20 times a
 * message). node-postgres prepares a query that carries a name; Kysely never gives one, so this pool adds it.
 *
 * Bounded: a text is named from its second call on (one-off statements, such as IN lists of a new length, stay
 * unnamed), and at most MAX_NAMED texts per process get a name, each prepared at most once per connection. A text
 * the server refuses to run as a prepared statement (a table's columns changed under a cached `SELECT *`) is never
 * named again, so a rolling migration costs the statement in hand, not the process.
 *
 * A prepared statement keeps its generic plan until something invalidates it, and ANALYZE may not come for a minute
 * or more: a plan made while a table was nearly empty (a sequential scan is cheapest then) would outlive the table's
 * growth. Measured on a fresh database, the fact upsert went from 0.4 to 3.6 ms that way. So each connection drops
 * its plans (DISCARD PLANS keeps the parsed statements) at 1, 2, 4 … 512 seconds after start, then every 10 minutes.
 */
const MAX_NAMED = 400;
const NAME_AFTER_CALLS = 2;
/** 0A000 `cached plan must not change result type`: the schema moved under a prepared statement. */
const PLAN_CHANGED = '0A000';

export class StatementNames {
  private readonly calls = new Map<string, number>();
  private readonly names = new Map<string, string>();
  private readonly refused = new Set<string>();

  /** The name to run this text under, or undefined to run it unnamed. */
  nameFor(text: string): string | undefined {
    const known = this.names.get(text);
    if (known !== undefined) return known;
    if (this.names.size >= MAX_NAMED || this.refused.has(text)) return undefined;
    const seen = (this.calls.get(text) ?? 0) + 1;
    if (seen < NAME_AFTER_CALLS) {
      // The counting map is bounded too: one-off texts are forgotten together once it fills.
      if (this.calls.size >= MAX_NAMED * 8) this.calls.clear();
      this.calls.set(text, seen);
      return undefined;
    }
    this.calls.delete(text);
    const name = `v_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    this.names.set(text, name);
    return name;
  }

  refuse(text: string): void {
    this.names.delete(text);
    this.refused.add(text);
  }

  get size(): number {
    return this.names.size;
  }
}

/** Which plan generation a moment belongs to: a new one at 2^k seconds after start up to 512 s, then every 600 s. */
export function planEpoch(elapsedMs: number): number {
  const seconds = elapsedMs / 1000;
  if (seconds < 1) return 0;
  if (seconds < 512) return 1 + Math.floor(Math.log2(seconds));
  return 10 + Math.floor((seconds - 512) / 600);
}

export class PreparedStatementPool implements PostgresPool {
  readonly names = new StatementNames();
  private readonly started = performance.now();
  private readonly epochs = new WeakMap<pg.PoolClient, number>();

  constructor(private readonly pool: pg.Pool) {}

  async connect(): Promise<PostgresPoolClient> {
    const client = await this.pool.connect();
    const epoch = planEpoch(performance.now() - this.started);
    const previous = this.epochs.get(client);
    if (previous !== epoch) {
      try {
        if (previous !== undefined) await client.query('DISCARD PLANS');
      } catch (err) {
        client.release(true);
        throw err;
      }
      this.epochs.set(client, epoch);
    }
    const names = this.names;
    const wrapped = {
      async query<R>(textOrCursor: unknown, values?: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
        // Without parameters node-postgres uses the simple protocol (several statements may run): never named.
        if (typeof textOrCursor !== 'string' || !values || values.length === 0) return client.query(textOrCursor as string, values as unknown[]) as unknown as PostgresQueryResult<R>;
        const name = names.nameFor(textOrCursor);
        if (name === undefined) return client.query(textOrCursor, values as unknown[]) as unknown as PostgresQueryResult<R>;
        try {
          return (await client.query({ name, text: textOrCursor, values: values as unknown[] })) as unknown as PostgresQueryResult<R>;
        } catch (err) {
          if ((err as { code?: unknown }).code === PLAN_CHANGED) names.refuse(textOrCursor);
          throw err;
        }
      },
      release(destroy?: boolean) {
        client.release(destroy);
      },
    };
    return wrapped as unknown as PostgresPoolClient;
  }

  async end(): Promise<void> {
    await this.pool.end();
  }
}
