import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { VigilError } from '../../errors.ts';
import type { Db, Store, Tx } from '../../store/store.ts';
import { open, seal } from './envelope.ts';
import type { KeyEncryptionService } from './keyring.ts';

/**
 * Envelope encryption per patient: each patient has one AES-256 data key, stored wrapped by the active KEK. Erasing
 * the wrapped key (crypto-shredding) makes every copy of that patient's encrypted data unreadable, wherever it is.
 */
export class PatientDataShreddedError extends VigilError {
  constructor() {
    super('patient-data-shredded', 410, "This patient's encrypted data was erased (crypto-shredded) and can no longer be read.");
  }
}

const context = (patientId: string) => `patient|${patientId}`;

export class PatientKeys {
  constructor(private readonly kek: KeyEncryptionService) {}

  private async dataKey(db: Db | Tx, patientId: string, create: boolean): Promise<Buffer> {
    let row = await db.selectFrom('patient_data_keys').select(['kek_id', 'wrapped_key', 'shredded_at']).where('patient_id', '=', patientId).executeTakeFirst();
    if (!row && create) {
      const wrapped = await this.kek.wrap(randomBytes(32), context(patientId));
      // Two writers may race to create the first key; the first insert wins and both use it.
      await db
        .insertInto('patient_data_keys')
        .values({ patient_id: patientId, kek_id: wrapped.kekId, wrapped_key: wrapped.blob, rewrapped_at: null, shredded_at: null })
        .onConflict((oc) => oc.column('patient_id').doNothing())
        .execute();
      row = await db.selectFrom('patient_data_keys').select(['kek_id', 'wrapped_key', 'shredded_at']).where('patient_id', '=', patientId).executeTakeFirstOrThrow();
    }
    if (!row) throw new VigilError('patient-key-missing', 500, 'No data key exists for this patient; nothing was ever encrypted for them.');
    if (!row.wrapped_key) throw new PatientDataShreddedError();
    return this.kek.unwrap({ kekId: row.kek_id, blob: Buffer.from(row.wrapped_key) }, context(patientId));
  }

  /** `purpose` names what the data is (e.g. "raw-message"), so a blob cannot be replayed as something else. */
  async encrypt(db: Db | Tx, patientId: string, plaintext: Uint8Array, purpose: string): Promise<Buffer> {
    return seal(await this.dataKey(db, patientId, true), plaintext, `${context(patientId)}|${purpose}`);
  }

  async decrypt(db: Db | Tx, patientId: string, blob: Uint8Array, purpose: string): Promise<Buffer> {
    return open(await this.dataKey(db, patientId, false), blob, `${context(patientId)}|${purpose}`);
  }

  /** Forgets the patient's data key. Returns false if there was nothing to shred. */
  async shred(db: Db | Tx, patientId: string): Promise<boolean> {
    const r = await db
      .updateTable('patient_data_keys')
      .set({ wrapped_key: null, shredded_at: sql`now()` })
      .where('patient_id', '=', patientId)
      .where('shredded_at', 'is', null)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }
}

/**
 * Re-wraps every data key that is not under the active KEK, in batches, without touching the data it protects.
 * After it finishes, older KEKs can be removed from the keyring.
 */
export async function rewrapPatientKeys(store: Store, kek: KeyEncryptionService, batchSize = 500): Promise<number> {
  let total = 0;
  for (;;) {
    const done = await store.tx(async (trx) => {
      const rows = await trx
        .selectFrom('patient_data_keys')
        .select(['patient_id', 'kek_id', 'wrapped_key'])
        .where('kek_id', '!=', kek.activeKekId)
        .where('wrapped_key', 'is not', null)
        .limit(batchSize)
        .forUpdate()
        .skipLocked()
        .execute();
      for (const row of rows) {
        const plain = await kek.unwrap({ kekId: row.kek_id, blob: Buffer.from(row.wrapped_key!) }, context(row.patient_id));
        const wrapped = await kek.wrap(plain, context(row.patient_id));
        await trx
          .updateTable('patient_data_keys')
          .set({ kek_id: wrapped.kekId, wrapped_key: wrapped.blob, rewrapped_at: sql`now()` })
          .where('patient_id', '=', row.patient_id)
          .execute();
      }
      return rows.length;
    });
    total += done;
    if (done < batchSize) return total;
  }
}
