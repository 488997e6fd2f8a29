import type { PGlite } from '@electric-sql/pglite';
import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import { ServiceUnavailableError } from '../errors.ts';

/**
 * Lets Kysely's PostgresDialect drive an in-process PGlite. PGlite has one backend, so one connection: a client is
 * handed out under a mutex and a transaction keeps it until it commits. Code inside a transaction must use the
 * transaction handle, never the root handle, or it waits for itself.
 */
export class PGlitePool implements PostgresPool {
  private tail: Promise<void> = Promise.resolve();
  private ended = false;

  constructor(private readonly pg: PGlite) {}

  async connect(): Promise<PostgresPoolClient> {
    if (this.ended) throw new ServiceUnavailableError('The embedded database is closed.');
    let release!: () => void;
    const previous = this.tail;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    let released = false;
    const pg = this.pg;
    const client = {
      async query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
        // Without parameters node-postgres uses the simple protocol, which runs several statements; so does this.
        const result = parameters.length === 0 ? (await pg.exec(sql)).at(-1)! : await pg.query<R>(sql, parameters as unknown[]);
        const command = (result as { command?: string }).command ?? sql.trimStart().split(/\s/, 1)[0]!.toUpperCase();
        return { command: command as PostgresQueryResult<R>['command'], rowCount: result.affectedRows ?? result.rows.length, rows: result.rows as R[] };
      },
      release() {
        if (!released) {
          released = true;
          release();
        }
      },
    };
    // Kysely's client type also allows cursors (streaming); PGlite has none and Vigil does not stream through it.
    return client as PostgresPoolClient;
  }

  async end(): Promise<void> {
    this.ended = true;
    await this.tail;
  }
}
