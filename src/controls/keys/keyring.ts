import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { VigilConfig } from '../../config/settings.ts';
import { ConfigError, VigilError } from '../../errors.ts';
import { open, seal } from './envelope.ts';

/**
 * Key-encryption keys (KEKs) behind a KMS-shaped interface: data keys go in and come out wrapped, and the KEK itself
 * never leaves this module. The local implementation reads a keyring from VIGIL_KEK_FILE (or one key from VIGIL_KEK);
 * a cloud KMS can implement the same interface later.
 */
export interface WrappedKey {
  kekId: string;
  blob: Buffer;
}

export interface KeyEncryptionService {
  readonly activeKekId: string;
  wrap(dataKey: Uint8Array, context: string): Promise<WrappedKey>;
  unwrap(wrapped: WrappedKey, context: string): Promise<Buffer>;
  knows(kekId: string): boolean;
}

export class UnknownKekError extends VigilError {
  constructor(kekId: string) {
    super('kek-unknown', 500, `Data is wrapped by key-encryption key ${kekId}, which is not in the keyring. Add it back to VIGIL_KEK_FILE, then run \`vigil keys rotate\`.`);
  }
}

/** A key id that names a key without revealing it: a truncated hash of the key. */
export function fingerprint(key: Uint8Array): string {
  return `kek-${createHash('sha256').update('vigil-kek-id').update(key).digest('hex').slice(0, 16)}`;
}

export class LocalKeyring implements KeyEncryptionService {
  private readonly keys: Map<string, Buffer>;
  readonly activeKekId: string;

  constructor(keys: Map<string, Buffer>, activeKekId: string) {
    if (!keys.has(activeKekId)) throw new ConfigError('VIGIL_KEK_FILE', `VIGIL_KEK_FILE: the active key "${activeKekId}" is not among the keys.`);
    this.keys = keys;
    this.activeKekId = activeKekId;
  }

  static single(key: Buffer): LocalKeyring {
    const id = fingerprint(key);
    return new LocalKeyring(new Map([[id, key]]), id);
  }

  knows(kekId: string): boolean {
    return this.keys.has(kekId);
  }

  async wrap(dataKey: Uint8Array, context: string): Promise<WrappedKey> {
    return { kekId: this.activeKekId, blob: seal(this.keys.get(this.activeKekId)!, dataKey, `vigil-dek|${this.activeKekId}|${context}`) };
  }

  async unwrap(wrapped: WrappedKey, context: string): Promise<Buffer> {
    const kek = this.keys.get(wrapped.kekId);
    if (!kek) throw new UnknownKekError(wrapped.kekId);
    return open(kek, wrapped.blob, `vigil-dek|${wrapped.kekId}|${context}`);
  }
}

const BASE64_KEY = /^[A-Za-z0-9+/]+={0,2}$/;

function decodeKey(text: string, where: string): Buffer {
  const trimmed = text.trim();
  const key = BASE64_KEY.test(trimmed) ? Buffer.from(trimmed, 'base64') : Buffer.alloc(0);
  if (key.length !== 32) throw new ConfigError('VIGIL_KEK_FILE', `${where} must be a base64 key of exactly 32 bytes.`);
  return key;
}

/**
 * A keyring file holds either one base64 key, or JSON: {"active": "<id>", "keys": {"<id>": "<base64>", …}} so that
 * older keys stay available to unwrap until `vigil keys rotate` has re-wrapped everything under the active one.
 */
export function parseKeyringFile(text: string, file: string): LocalKeyring {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return LocalKeyring.single(decodeKey(trimmed, `VIGIL_KEK_FILE (${file})`));
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    throw new ConfigError('VIGIL_KEK_FILE', `VIGIL_KEK_FILE (${file}) is neither a base64 key nor valid JSON.`);
  }
  const shape = parsed as { active?: unknown; keys?: unknown };
  if (typeof shape.active !== 'string' || typeof shape.keys !== 'object' || shape.keys === null) {
    throw new ConfigError('VIGIL_KEK_FILE', `VIGIL_KEK_FILE (${file}) must be {"active": "<id>", "keys": {"<id>": "<base64 key>"}}.`);
  }
  const keys = new Map<string, Buffer>();
  for (const [id, value] of Object.entries(shape.keys as Record<string, unknown>)) {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(id)) throw new ConfigError('VIGIL_KEK_FILE', `VIGIL_KEK_FILE (${file}): key ids may use letters, digits, "_", "." and "-" only.`);
    keys.set(id, decodeKey(String(value), `VIGIL_KEK_FILE (${file}) key "${id}"`));
  }
  return new LocalKeyring(keys, shape.active);
}

/**
 * The keyring for this process. Outside production a missing KEK is created once in the data folder (mode 0600) so
 * that trying Vigil needs no setup; production refuses to start without one (config rules).
 */
export function loadKeyring(config: Pick<VigilConfig, 'kek' | 'kekFile' | 'dataDir' | 'env'>): LocalKeyring {
  if (config.kek) return LocalKeyring.single(Buffer.from(config.kek, 'base64'));
  if (config.kekFile) {
    let text: string;
    try {
      text = readFileSync(config.kekFile, 'utf8');
    } catch {
      throw new ConfigError('VIGIL_KEK_FILE', `VIGIL_KEK_FILE: cannot read ${config.kekFile}; give the path of a readable key file.`);
    }
    return parseKeyringFile(text, config.kekFile);
  }
  if (config.env === 'production') throw new ConfigError('VIGIL_KEK_FILE', 'VIGIL_ENV=production needs key material: set VIGIL_KEK_FILE.');
  const file = join(config.dataDir, 'keys', 'development-kek');
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    try {
      writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
      chmodSync(file, 0o600);
    } catch (err) {
      // Another process on this data folder made it first: use theirs.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return parseKeyringFile(readFileSync(file, 'utf8'), file);
}
