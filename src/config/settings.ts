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
  accessTokenTtlSeconds: number;
  sessionIdleMinutes: number;
  sessionAbsoluteHours: number;
  publicUrl: string | undefined;
  auditSealIntervalMs: number;
  auditCheckpointEvents: number;
  auditCheckpointSeconds: number;
  auditRetentionDays: number;
  mllpPort: number | 'off';
  mllpHost: string;
  mllpMaxMessageBytes: number;
  mllpIdleTimeoutMs: number;
  mllpTlsKeyFile: string | undefined;
  mllpTlsCertFile: string | undefined;
  mllpTlsCaFile: string | undefined;
  gatewayBatchSize: number;
  gatewayMaxAttempts: number;
  gatewaySynchronousCommit: boolean;
  gatewayRetryBaseMs: number;
  gatewayFreshnessCheckMs: number;
  gatewayAlertWebhook: string | undefined;
  dropDir: string | undefined;
  heapGrowthPercent: number;
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

// The address clients use to reach Vigil (behind a proxy it differs from HOST:PORT): an http(s) URL with no query.
const publicUrl = (raw: string): string | undefined => {
  try {
    const url = new URL(raw.trim());
    if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.search || url.hash || url.username || url.password) return undefined;
    return url.toString().replace(/\/+$/, '');
  } catch {
    return undefined;
  }
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
  spec({ key: 'auditSealIntervalMs', env: 'VIGIL_AUDIT_SEAL_INTERVAL_MS', allowed: 'an integer from 10 to 60000 (milliseconds)', default: () => 250, parse: int(10, 60_000) }),
  spec({ key: 'auditCheckpointEvents', env: 'VIGIL_AUDIT_CHECKPOINT_EVENTS', allowed: 'an integer from 1 to 1000000 (events)', default: () => 1000, parse: int(1, 1_000_000) }),
  spec({ key: 'auditCheckpointSeconds', env: 'VIGIL_AUDIT_CHECKPOINT_SECONDS', allowed: 'an integer from 1 to 86400 (seconds)', default: () => 10, parse: int(1, 86_400) }),
  // Nothing deletes audit events: this is the promise made to auditors (docs/audit.md). Archive with `vigil audit export`.
  spec({ key: 'auditRetentionDays', env: 'VIGIL_AUDIT_RETENTION_DAYS', allowed: 'an integer from 1 to 36500 (days)', default: () => 2192, parse: int(1, 36_500) }),
  spec({ key: 'accessTokenTtlSeconds', env: 'VIGIL_ACCESS_TOKEN_TTL_SECONDS', allowed: 'an integer from 60 to 900 (seconds; access tokens live at most 15 minutes)', default: () => 600, parse: int(60, 900) }),
  spec({ key: 'sessionIdleMinutes', env: 'VIGIL_SESSION_IDLE_MINUTES', allowed: 'an integer from 1 to 1440 (minutes without a request before a session ends)', default: () => 15, parse: int(1, 1440) }),
  spec({ key: 'sessionAbsoluteHours', env: 'VIGIL_SESSION_ABSOLUTE_HOURS', allowed: 'an integer from 1 to 168 (hours after sign-in when a session ends whatever happens)', default: () => 12, parse: int(1, 168) }),
  spec({ key: 'publicUrl', env: 'VIGIL_PUBLIC_URL', allowed: 'an http:// or https:// URL without query, e.g. https://vigil.example.org', default: () => undefined, parse: publicUrl }),
  spec({ key: 'mllpPort', env: 'MLLP_PORT', allowed: 'an integer from 0 to 65535, or off', default: () => 2575, parse: (raw) => (raw.trim() === 'off' ? 'off' : int(0, 65535)(raw)) }),
  spec({ key: 'mllpHost', env: 'VIGIL_MLLP_HOST', allowed: 'a host name or IP address to listen on for MLLP', default: (c) => c.host ?? '127.0.0.1', parse: host }),
  spec({ key: 'mllpMaxMessageBytes', env: 'VIGIL_MLLP_MAX_MESSAGE_BYTES', allowed: 'an integer from 1024 to 104857600 (bytes)', default: () => 4_194_304, parse: int(1024, 104_857_600) }),
  spec({ key: 'mllpIdleTimeoutMs', env: 'VIGIL_MLLP_IDLE_TIMEOUT_MS', allowed: 'an integer from 1000 to 86400000 (milliseconds)', default: () => 600_000, parse: int(1000, 86_400_000) }),
  spec({ key: 'mllpTlsKeyFile', env: 'VIGIL_MLLP_TLS_KEY_FILE', allowed: 'a PEM private key file (MLLP over TLS when set with the certificate)', default: () => undefined, parse: path }),
  spec({ key: 'mllpTlsCertFile', env: 'VIGIL_MLLP_TLS_CERT_FILE', allowed: 'a PEM certificate file', default: () => undefined, parse: path }),
  spec({ key: 'mllpTlsCaFile', env: 'VIGIL_MLLP_TLS_CA_FILE', allowed: 'a PEM file of CAs whose client certificates are required', default: () => undefined, parse: path }),
  spec({ key: 'heapGrowthPercent', env: 'VIGIL_HEAP_GROWTH_PERCENT', allowed: 'an integer from 0 to 300 (percent the heap may grow past what is live; 0: V8 decides)', default: () => 50, parse: int(0, 300) }),
  spec({ key: 'gatewayBatchSize', env: 'VIGIL_GATEWAY_BATCH_SIZE', allowed: 'an integer from 1 to 1000 (inbox messages per worker transaction)', default: () => 32, parse: int(1, 1000) }),
  // Off: a worker's commit does not wait for its WAL flush. Safe because the inbox is durable and working is
  // idempotent: a database crash can only undo the last moments of working, which are redone (docs/gateway.md).
  spec({ key: 'gatewaySynchronousCommit', env: 'VIGIL_GATEWAY_SYNCHRONOUS_COMMIT', allowed: 'on or off (whether a worker\'s batch waits for its WAL flush at commit)', default: () => false, parse: (raw) => (raw.trim() === 'on' ? true : raw.trim() === 'off' ? false : undefined) }),
  spec({ key: 'gatewayMaxAttempts', env: 'VIGIL_GATEWAY_MAX_ATTEMPTS', allowed: 'an integer from 1 to 100 (tries before a message goes to dead letter)', default: () => 8, parse: int(1, 100) }),
  spec({ key: 'gatewayRetryBaseMs', env: 'VIGIL_GATEWAY_RETRY_BASE_MS', allowed: 'an integer from 10 to 3600000 (milliseconds; doubles per attempt, with jitter)', default: () => 2_000, parse: int(10, 3_600_000) }),
  spec({ key: 'gatewayFreshnessCheckMs', env: 'VIGIL_GATEWAY_FRESHNESS_CHECK_MS', allowed: 'an integer from 100 to 3600000 (milliseconds between feed freshness checks)', default: () => 30_000, parse: int(100, 3_600_000) }),
  spec({ key: 'gatewayAlertWebhook', env: 'VIGIL_GATEWAY_ALERT_WEBHOOK', allowed: 'an http:// or https:// URL that receives stale-feed alerts as JSON', secret: true, default: () => undefined, parse: publicUrl }),
  spec({ key: 'dropDir', env: 'VIGIL_DROP_DIR', allowed: 'a folder path; files written to <folder>/<source name>/ are taken in (HL7 batch, FHIR NDJSON or JSON)', default: () => undefined, parse: path }),
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
] as const satisfies readonly SettingSpec<any>[];

export const SECRET_ENV_NAMES: ReadonlySet<string> = new Set(SETTINGS.filter((s) => 'secret' in s && s.secret).map((s) => s.env));
