import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.ts';
import { SETTINGS, type VigilConfig } from './settings.ts';

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** A JSON file whose keys are the same names as the env vars. Env vars win over the file. */
  file?: string | undefined;
}

function readConfigFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError('VIGIL_CONFIG_FILE', `VIGIL_CONFIG_FILE: cannot read ${file}; give the path of a readable JSON file.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError('VIGIL_CONFIG_FILE', `VIGIL_CONFIG_FILE: ${file} is not valid JSON; it must be an object of setting names to values.`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError('VIGIL_CONFIG_FILE', `VIGIL_CONFIG_FILE: ${file} must hold a JSON object of setting names to values.`);
  }
  const known = new Set(SETTINGS.map((s) => s.env));
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (!known.has(name)) {
      throw new ConfigError(name, `${name} in ${file} is not a Vigil setting; known settings: ${[...known].join(', ')}.`);
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new ConfigError(name, `${name} in ${file} must be a string or a number.`);
    }
    out[name] = String(value);
  }
  return out;
}

/** Reads, validates and cross-checks every setting. Throws ConfigError naming the first bad setting. */
export function loadConfig(options: LoadOptions = {}): VigilConfig {
  const env = options.env ?? process.env;
  const fileName = options.file ?? (env.VIGIL_CONFIG_FILE?.trim() || undefined);
  const fromFile = fileName ? readConfigFile(fileName) : {};
  const config: Partial<VigilConfig> = {};
  for (const setting of SETTINGS) {
    const raw = env[setting.env] ?? fromFile[setting.env];
    if (raw === undefined || raw === '') {
      (config as Record<string, unknown>)[setting.key] = setting.default(config);
      continue;
    }
    const value = setting.parse(raw);
    if (value === undefined) {
      const shown = 'secret' in setting && setting.secret ? 'value hidden' : `got "${raw.slice(0, 60)}"`;
      throw new ConfigError(setting.env, `${setting.env} must be ${setting.allowed} (${shown}).`);
    }
    (config as Record<string, unknown>)[setting.key] = value;
  }
  return config as VigilConfig;
}

export interface StartIntent {
  demo: boolean;
  role: 'all' | 'api' | 'worker';
}

/** Rules that depend on more than one setting or on what the process is about to do. */
export function checkStartRules(config: VigilConfig, intent: StartIntent): void {
  if (config.env === 'production') {
    if (intent.demo) throw new ConfigError('VIGIL_ENV', 'VIGIL_ENV=production refuses demo data: start without --demo.');
    if (!config.databaseUrl) {
      throw new ConfigError('DATABASE_URL', 'VIGIL_ENV=production needs DATABASE_URL: the embedded database is for trying Vigil, not for patients.');
    }
    if (!config.kek && !config.kekFile) {
      throw new ConfigError('VIGIL_KEK', 'VIGIL_ENV=production needs key material: set VIGIL_KEK_FILE (or VIGIL_KEK) to a base64 key of 32 bytes.');
    }
  }
  if (intent.role !== 'all' && !config.databaseUrl) {
    throw new ConfigError(
      'DATABASE_URL',
      `--role ${intent.role} runs one half of Vigil and needs a shared PostgreSQL server: set DATABASE_URL, or use --role all on the embedded database.`,
    );
  }
}

/** The effective configuration with secrets replaced, for `vigil config check`. */
export function redactedConfig(config: VigilConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const setting of SETTINGS) {
    const value = config[setting.key];
    if (value === undefined) out[setting.env] = '(not set)';
    else if ('secret' in setting && setting.secret) out[setting.env] = redactSecret(setting.env, String(value));
    else out[setting.env] = String(value);
  }
  return out;
}

function redactSecret(name: string, value: string): string {
  return name === 'DATABASE_URL' ? redactDatabaseUrl(value) : '*****';
}

/** A database URL fit to print: the password, if any, replaced. */
export function redactDatabaseUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '*****';
    return url.toString();
  } catch {
    return '*****';
  }
}
