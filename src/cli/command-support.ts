import type { VigilConfig } from '../config/settings.ts';
import { ConfigError, VigilError, describeError } from '../errors.ts';
import { migrate } from '../store/migrate.ts';
import { openStore, type Store } from '../store/store.ts';

/** A command was given the wrong options: exit 2 with the message (and the command's usage, when it has one). */
export class CommandUsageError extends Error {}

/**
 * Opens the configured database, applies pending migrations (never destructive ones in production), runs `fn` and
 * closes the database, whatever happens: what every maintenance command needs before it touches a table.
 */
export async function withMigratedStore<T>(config: VigilConfig, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 });
  try {
    await migrate(store, { allowDestructive: false, guardDestructive: config.env === 'production' });
    return await fn(store);
  } finally {
    await store.close();
  }
}

/**
 * Runs a sub-command and turns what it throws into one line and an exit code: 2 for usage and configuration errors,
 * 1 for a refusal Vigil explains (VigilError) or an unexpected failure (named by type and code only, never a message
 * that could quote data).
 */
export async function runCommand(name: string, usage: string | undefined, run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (err) {
    const parseError = (err as { code?: unknown }).code;
    if (err instanceof CommandUsageError || (typeof parseError === 'string' && parseError.startsWith('ERR_PARSE_ARGS'))) {
      console.error(usage ? `vigil: ${(err as Error).message}\n\nUsage:\n${usage}` : `vigil: ${(err as Error).message}`);
      return 2;
    }
    if (err instanceof ConfigError) {
      console.error(`vigil: ${err.message}`);
      return 2;
    }
    if (err instanceof VigilError) {
      console.error(`vigil: ${err.message}`);
      return 1;
    }
    const { err_name, error_code } = describeError(err);
    console.error(`vigil: ${name} failed with ${err_name} (code ${error_code}).`);
    return 1;
  }
}
