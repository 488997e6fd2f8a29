import { isAbsolute, resolve } from 'node:path';

/**
 * Every setting Vigil reads, in one table: its env var (also the key in a config file), what it allows, its default
 * and whether it is secret. Parsing is by hand rather than through a schema library so that each refusal names the
 * setting and what is allowed in one line a person can act on.
 */
export type Environment = 'development' | 'test' | 'production';
export type ProcessRole = 'all' | 'api' | 'worker';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface VigilConfig {
  env: Environment;
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string | undefined;
  dbPoolSize: number;
  dbRetryMaxMs: number;
  logLevel: LogLevel;
  logFile: string | undefined;
  bodyLimitBytes: number;
  shutdownGraceMs: number;
  workerHeartbeatMs: number;
  workerPollMs: number;
  kek: string | undefined;
  kekFile: string | undefined;
  webDir: string;
}

export interface SettingSpec<K extends keyof VigilConfig> {
  key: K;
  env: string;
  allowed: string;
  secret?: boolean;
  default: (partial: Partial<VigilConfig>) => VigilConfig[K];
  parse: (raw: string) => VigilConfig[K] | undefined;
}

const int = (min: number, max: number) => (raw: string): number | undefined => {
  if (!/^\d+$/.test(raw.trim())) return undefined;
  const n = Number(raw.trim());
  return n >= min && n <= max ? n : undefined;
};
const oneOf = <T extends string>(...values: T[]) => (raw: string): T | undefined =>
  (values as string[]).includes(raw.trim()) ? (raw.trim() as T) : undefined;
const path = (raw: string): string | undefined => (raw.trim() === '' ? undefined : resolve(raw.trim()));

const postgresUrl = (raw: string): string | undefined => {
  try {
    const url = new URL(raw.trim());
    return url.protocol === 'postgres:' || url.protocol === 'postgresql:' ? raw.trim() : undefined;
  } catch {
    return undefined;
  }
};

const base64Key = (raw: string): string | undefined => {
  const trimmed = raw.trim();
  return /^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) && Buffer.from(trimmed, 'base64').length === 32 ? trimmed : undefined;
};

const host = (raw: string): string | undefined => (/^[A-Za-z0-9.:\-[\]]{1,253}$/.test(raw.trim()) ? raw.trim() : undefined);

function spec<K extends keyof VigilConfig>(s: SettingSpec<K>): SettingSpec<K> {
  return s;
}

export const SETTINGS = [
  spec({ key: 'env', env: 'VIGIL_ENV', allowed: 'one of development, test, production', default: () => 'development', parse: oneOf('development', 'test', 'production') }),
  spec({ key: 'host', env: 'HOST', allowed: 'a host name or IP address to listen on', default: () => '127.0.0.1', parse: host }),
  spec({ key: 'port', env: 'PORT', allowed: 'an integer from 0 to 65535', default: () => 8080, parse: int(0, 65535) }),
  spec({ key: 'dataDir', env: 'VIGIL_DATA_DIR', allowed: 'a folder path', default: () => resolve('.vigil'), parse: path }),
  spec({ key: 'databaseUrl', env: 'DATABASE_URL', allowed: 'a postgres:// or postgresql:// URL', secret: true, default: () => undefined, parse: postgresUrl }),
  spec({ key: 'dbPoolSize', env: 'VIGIL_DB_POOL_SIZE', allowed: 'an integer from 1 to 200', default: () => 10, parse: int(1, 200) }),
  spec({ key: 'dbRetryMaxMs', env: 'VIGIL_DB_RETRY_MAX_MS', allowed: 'an integer from 100 to 600000 (milliseconds)', default: () => 10_000, parse: int(100, 600_000) }),
  spec({ key: 'logLevel', env: 'LOG_LEVEL', allowed: 'one of fatal, error, warn, info, debug, trace, silent', default: () => 'info', parse: oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent') }),
  spec({ key: 'logFile', env: 'VIGIL_LOG_FILE', allowed: 'a file path', default: () => undefined, parse: path }),
  spec({ key: 'bodyLimitBytes', env: 'VIGIL_BODY_LIMIT_BYTES', allowed: 'an integer from 1024 to 104857600 (bytes)', default: () => 1_048_576, parse: int(1024, 104_857_600) }),
  spec({ key: 'shutdownGraceMs', env: 'VIGIL_SHUTDOWN_GRACE_MS', allowed: 'an integer from 0 to 600000 (milliseconds)', default: () => 10_000, parse: int(0, 600_000) }),
  spec({ key: 'workerHeartbeatMs', env: 'VIGIL_WORKER_HEARTBEAT_MS', allowed: 'an integer from 100 to 600000 (milliseconds)', default: () => 5_000, parse: int(100, 600_000) }),
  spec({ key: 'workerPollMs', env: 'VIGIL_WORKER_POLL_MS', allowed: 'an integer from 10 to 60000 (milliseconds)', default: () => 500, parse: int(10, 60_000) }),
  spec({ key: 'kek', env: 'VIGIL_KEK', allowed: 'a base64 key of exactly 32 bytes', secret: true, default: () => undefined, parse: base64Key }),
  spec({ key: 'kekFile', env: 'VIGIL_KEK_FILE', allowed: 'a path to a file holding a base64 key of 32 bytes', default: () => undefined, parse: path }),
  spec({ key: 'webDir', env: 'VIGIL_WEB_DIR', allowed: 'a folder path', default: () => resolve('dist/web'), parse: (raw) => (isAbsolute(raw) || raw.trim() !== '' ? resolve(raw.trim()) : undefined) }),
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
] as const satisfies readonly SettingSpec<any>[];

export const SECRET_ENV_NAMES: ReadonlySet<string> = new Set(SETTINGS.filter((s) => 'secret' in s && s.secret).map((s) => s.env));
