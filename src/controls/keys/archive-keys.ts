import { randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { VigilError } from '../../errors.ts';
import type { Db, Tx } from '../../store/store.ts';
import { open, seal } from './envelope.ts';
import type { KeyEncryptionService } from './keyring.ts';

/**
 * Raw copies of inbound messages are encrypted before they are stored, with one data key per source and calendar month
 * (UTC). The patient a message is about is not known when it arrives, so the patient's key cannot be used; a month's
 * key can be shredded when that month's raw copies pass their retention. Unwrapped keys are kept in memory for the
 * life of the process: the receive path must not pay a key unwrap per message.
 */
export class ArchiveShreddedError extends VigilError {
  constructor() {
    super('archive-shredded', 410, 'This raw message was erased with its archive key (retention ended) and can no longer be read.');
  }
}

export interface ArchiveKeyRef {
  id: string;
  key: Buffer;
}

const context = (id: string) => `archive|${id}`;

export class ArchiveKeys {
  private readonly byId = new Map<string, Buffer>();
  private readonly current = new Map<string, ArchiveKeyRef>();

  /** `kek` is the process's keyring, which also seals document content (the processor hands it on). */
  constructor(readonly kek: KeyEncryptionService) {}

  /** The key that encrypts a message arriving now from `sourceKey` (a source id, or `unregistered`). */
  async forNew(db: Db | Tx, sourceKey: string, now = new Date()): Promise<ArchiveKeyRef> {
    const period = now.toISOString().slice(0, 7);
    const cacheKey = `${sourceKey}|${period}`;
    const cached = this.current.get(cacheKey);
    if (cached) return cached;
    let row = await db.selectFrom('gateway_archive_keys').select(['id', 'kek_id', 'wrapped_key']).where('source_key', '=', sourceKey).where('period', '=', period).executeTakeFirst();
    if (!row) {
      const id = uuidv7();
      const wrapped = await this.kek.wrap(randomBytes(32), context(id));
      // Two receivers may race to create the month's key; the first insert wins and both use it.
      await db
        .insertInto('gateway_archive_keys')
        .values({ id, source_key: sourceKey, period, kek_id: wrapped.kekId, wrapped_key: wrapped.blob, shredded_at: null })
        .onConflict((oc) => oc.columns(['source_key', 'period']).doNothing())
        .execute();
      row = await db.selectFrom('gateway_archive_keys').select(['id', 'kek_id', 'wrapped_key']).where('source_key', '=', sourceKey).where('period', '=', period).executeTakeFirstOrThrow();
    }
    if (!row.wrapped_key) throw new ArchiveShreddedError();
    const ref = { id: row.id, key: await this.kek.unwrap({ kekId: row.kek_id, blob: Buffer.from(row.wrapped_key) }, context(row.id)) };
    this.byId.set(ref.id, ref.key);
    this.current.set(cacheKey, ref);
    return ref;
  }

  private async keyOf(db: Db | Tx, id: string): Promise<Buffer> {
    const cached = this.byId.get(id);
    if (cached) return cached;
    const row = await db.selectFrom('gateway_archive_keys').select(['kek_id', 'wrapped_key']).where('id', '=', id).executeTakeFirst();
    if (!row?.wrapped_key) throw new ArchiveShreddedError();
    const key = await this.kek.unwrap({ kekId: row.kek_id, blob: Buffer.from(row.wrapped_key) }, context(id));
    this.byId.set(id, key);
    return key;
  }

  /** `messageId` is bound into the ciphertext, so a raw copy moved to another inbox row fails to decrypt. */
  encrypt(ref: ArchiveKeyRef, messageId: string, raw: Uint8Array): Buffer {
    return seal(ref.key, raw, `${context(ref.id)}|message|${messageId}`);
  }

  async decrypt(db: Db | Tx, keyId: string, messageId: string, blob: Uint8Array): Promise<Buffer> {
    return open(await this.keyOf(db, keyId), blob, `${context(keyId)}|message|${messageId}`);
  }
}
