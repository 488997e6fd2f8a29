import { CompiledQuery, type QueryResult, type RawBuilder } from 'kysely';
import type { Db, Tx } from './store.ts';
import { InvariantError } from '../errors.ts';

/** Stands for the statement's i-th argument while its text is made. */
class Slot {
  constructor(readonly index: number) {}
}

/**
 * A statement the gateway runs for every message, whose text does not depend on its values: Kysely compiles it on
 * first use, and every later call only binds values to that text. Compiling a large `sql` template (visiting and
 * freezing its node tree) and hashing a fresh copy of a 3 kB text to find its prepared name were paid per message
 * before; skipping them saved about 5% of the worker's CPU per message (docs/gateway.md, "Benchmarks").
 *
 * `build` receives placeholders, not values, so it may place its arguments only as values in the template (never in
 * `sql.ref`, `sql.raw` or a JS expression): every argument must reach the text as a parameter, which is checked on the
 * first call. Serialize JSON and pick defaults before calling. A builder taking a rest parameter (a tuple of arguments
 * shared with other statements) gives their number as `arity`.
 */
export function fixedStatement<A extends unknown[], R>(build: (...args: A) => RawBuilder<R>, arity: number = build.length): (db: Db | Tx, ...args: A) => Promise<QueryResult<R>> {
  let compiled: { text: string; parameters: readonly unknown[] } | undefined;
  return async (db, ...args) => {
    if (!compiled && args.length !== arity) {
      // A rest or defaulted parameter is not counted in a function's length, so its placeholders would be missing.
      throw new InvariantError(`fixedStatement: called with ${args.length} argument(s) but the statement takes ${arity}; declare each parameter by name, or give their number.`);
    }
    compiled ??= compile(db, build, arity);
    const parameters = compiled.parameters.map((p) => (p instanceof Slot ? args[p.index] : p));
    return db.executeQuery<R>(CompiledQuery.raw(compiled.text, parameters));
  };
}

function compile<A extends unknown[], R>(db: Db | Tx, build: (...args: A) => RawBuilder<R>, arity: number): { text: string; parameters: readonly unknown[] } {
  const slots = Array.from({ length: arity }, (_, i) => new Slot(i));
  const query = build(...(slots as unknown as A)).compile(db);
  const used = new Set(query.parameters.filter((p): p is Slot => p instanceof Slot).map((s) => s.index));
  const unused = slots.filter((s) => !used.has(s.index)).map((s) => s.index);
  if (unused.length > 0) throw new InvariantError(`fixedStatement: argument(s) ${unused.join(', ')} did not become parameters of the statement; pass only values used as values.`);
  return { text: query.sql, parameters: query.parameters };
}
