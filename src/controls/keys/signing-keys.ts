import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { sql } from 'kysely';
import type { Db, Store, Tx } from '../../store/store.ts';
import type { KeyEncryptionService } from './keyring.ts';

/**
 * Ed25519 keys that sign audit checkpoints. The private key is stored wrapped by the KEK; public keys are kept for
 * ever, retired or not, so that anyone holding an export and the public keys can verify old checkpoints offline.
 */
export interface PublicSigningKey {
  keyId: string;
  algorithm: 'Ed25519';
  publicKeyPem: string;
  createdAt: string;
  retiredAt: string | null;
}

export interface ActiveSigningKey {
  keyId: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

const context = (keyId: string) => `signing-key|${keyId}`;

export function signingKeyId(publicKey: KeyObject): string {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return `ed25519-${createHash('sha256').update(spki).digest('hex').slice(0, 16)}`;
}

export function signWith(key: ActiveSigningKey, data: Uint8Array): Buffer {
  return sign(null, data, key.privateKey);
}

export function verifySignature(publicKeyPem: string, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verify(null, data, createPublicKey(publicKeyPem), signature);
  } catch {
    return false;
  }
}

export type SigningPurpose = 'audit' | 'token';

export class SigningKeys {
  /** `audit` keys sign checkpoints (kept for ever); `token` keys sign access tokens. Each purpose rotates alone. */
  constructor(
    private readonly kek: KeyEncryptionService,
    private readonly purpose: SigningPurpose = 'audit',
  ) {}

  private async insert(db: Db | Tx): Promise<string> {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const keyId = signingKeyId(publicKey);
    const wrapped = await this.kek.wrap(privateKey.export({ type: 'pkcs8', format: 'der' }), context(keyId));
    await db
      .insertInto('signing_keys')
      .values({
        key_id: keyId,
        public_key_spki: publicKey.export({ type: 'spki', format: 'der' }),
        private_kek_id: wrapped.kekId,
        private_key_wrapped: wrapped.blob,
        retired_at: null,
        purpose: this.purpose,
      })
      .execute();
    return keyId;
  }

  /** The key that signs now; the first call on a new database creates it. */
  async active(store: Store): Promise<ActiveSigningKey> {
    const row = await store.tx(async (trx) => {
      await sql`select pg_advisory_xact_lock(7150913, ${this.purpose === 'audit' ? 1 : 2})`.execute(trx);
      let found = await trx.selectFrom('signing_keys').selectAll().where('retired_at', 'is', null).where('purpose', '=', this.purpose).executeTakeFirst();
      if (!found) {
        const keyId = await this.insert(trx);
        found = await trx.selectFrom('signing_keys').selectAll().where('key_id', '=', keyId).executeTakeFirstOrThrow();
      }
      return found;
    });
    const der = await this.kek.unwrap({ kekId: row.private_kek_id, blob: Buffer.from(row.private_key_wrapped) }, context(row.key_id));
    return {
      keyId: row.key_id,
      privateKey: createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }),
      publicKey: createPublicKey({ key: Buffer.from(row.public_key_spki), format: 'der', type: 'spki' }),
    };
  }

  /** Retires the active key and makes a new one. Returns the new key id. */
  async rotate(store: Store): Promise<string> {
    return store.tx(async (trx) => {
      await sql`select pg_advisory_xact_lock(7150913, ${this.purpose === 'audit' ? 1 : 2})`.execute(trx);
      await trx.updateTable('signing_keys').set({ retired_at: sql`now()` }).where('retired_at', 'is', null).where('purpose', '=', this.purpose).execute();
      return this.insert(trx);
    });
  }

  async publicKeys(db: Db): Promise<PublicSigningKey[]> {
    const rows = await db.selectFrom('signing_keys').select(['key_id', 'public_key_spki', 'created_at', 'retired_at']).where('purpose', '=', this.purpose).orderBy('created_at').execute();
    return rows.map((r) => ({
      keyId: r.key_id,
      algorithm: 'Ed25519' as const,
      publicKeyPem: createPublicKey({ key: Buffer.from(r.public_key_spki), format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' }).toString(),
      createdAt: r.created_at.toISOString(),
      retiredAt: r.retired_at ? r.retired_at.toISOString() : null,
    }));
  }

  /** Re-wraps private keys that are not under the active KEK (part of `vigil keys rotate`). */
  async rewrap(store: Store): Promise<number> {
    return store.tx(async (trx) => {
      const rows = await trx.selectFrom('signing_keys').select(['key_id', 'private_kek_id', 'private_key_wrapped']).where('private_kek_id', '!=', this.kek.activeKekId).forUpdate().execute();
      for (const row of rows) {
        const der = await this.kek.unwrap({ kekId: row.private_kek_id, blob: Buffer.from(row.private_key_wrapped) }, context(row.key_id));
        const wrapped = await this.kek.wrap(der, context(row.key_id));
        await trx.updateTable('signing_keys').set({ private_kek_id: wrapped.kekId, private_key_wrapped: wrapped.blob }).where('key_id', '=', row.key_id).execute();
      }
      return rows.length;
    });
  }
}
