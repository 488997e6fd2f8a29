import { generateSecret, generateURI, verify } from 'otplib';
import type { KeyEncryptionService } from '../../keys/keyring.ts';
import type { Db, Tx } from '../../../store/store.ts';
import { NotFoundError } from '../../../errors.ts';

/**
 * TOTP second factor (RFC 6238: SHA-1, 6 digits, 30 s). The secret is wrapped by the key-encryption key with a
 * context bound to the person, so a wrapped secret copied onto another person's row does not unwrap. A code is good
 * in the step before, the step of, and the step after now (clock drift), and only once: the step it matched is
 * recorded in used_totp_steps, and a second use of that step is refused as a replay.
 */
const PERIOD_SECONDS = 30;
const CODE = /^\d{6}$/;
// Steps older than the window can never match again; rows past this age are only clutter.
const KEEP_USED_STEPS_MS = 5 * 60_000;

const context = (personId: string) => `totp-secret|${personId}`;

export type TotpCheck = { ok: true; step: number } | { ok: false; reason: 'not-enrolled' | 'wrong-code' | 'replayed' };

/** Makes and stores a new secret (replacing any old one) and returns it in base32 for the person's authenticator. */
export async function enrollTotp(db: Db | Tx, keyring: KeyEncryptionService, personId: string): Promise<string> {
  const person = await db.selectFrom('people').select('id').where('id', '=', personId).executeTakeFirst();
  if (!person) throw new NotFoundError('No person has this id.');
  const secret = generateSecret({ length: 20 });
  const wrapped = await keyring.wrap(Buffer.from(secret, 'utf8'), context(personId));
  await db
    .updateTable('people')
    .set({ totp_kek_id: wrapped.kekId, totp_secret_wrapped: wrapped.blob, updated_at: new Date() })
    .where('id', '=', personId)
    .execute();
  return secret;
}

/** The otpauth:// URI an authenticator app reads from a QR code. */
export function totpUri(secret: string, username: string): string {
  return generateURI({ issuer: 'Vigil', label: username, secret, period: PERIOD_SECONDS });
}

export async function hasTotp(db: Db | Tx, personId: string): Promise<boolean> {
  const row = await db.selectFrom('people').select('totp_secret_wrapped').where('id', '=', personId).executeTakeFirst();
  return Boolean(row?.totp_secret_wrapped);
}

/** Removes the second factor; the person must enrol again before a privileged sign-in. */
export async function clearTotp(db: Db | Tx, personId: string): Promise<void> {
  await db.updateTable('people').set({ totp_kek_id: null, totp_secret_wrapped: null, updated_at: new Date() }).where('id', '=', personId).execute();
  await db.deleteFrom('used_totp_steps').where('person_id', '=', personId).execute();
}

/** Checks a code and, when it matches, spends its time step. `now` is for tests of the window. */
export async function checkTotp(db: Db | Tx, keyring: KeyEncryptionService, personId: string, code: string, now: Date = new Date()): Promise<TotpCheck> {
  const row = await db.selectFrom('people').select(['totp_kek_id', 'totp_secret_wrapped']).where('id', '=', personId).executeTakeFirst();
  if (!row?.totp_kek_id || !row.totp_secret_wrapped) return { ok: false, reason: 'not-enrolled' };
  if (typeof code !== 'string' || !CODE.test(code)) return { ok: false, reason: 'wrong-code' };
  const secret = (await keyring.unwrap({ kekId: row.totp_kek_id, blob: Buffer.from(row.totp_secret_wrapped) }, context(personId))).toString('utf8');
  const result = await verify({ secret, token: code, period: PERIOD_SECONDS, epoch: Math.floor(now.getTime() / 1000), epochTolerance: PERIOD_SECONDS });
  if (!result.valid || !('timeStep' in result)) return { ok: false, reason: 'wrong-code' };
  const step = result.timeStep;
  await db.deleteFrom('used_totp_steps').where('person_id', '=', personId).where('used_at', '<', new Date(now.getTime() - KEEP_USED_STEPS_MS)).execute();
  const spent = await db
    .insertInto('used_totp_steps')
    .values({ person_id: personId, step, used_at: now })
    .onConflict((oc) => oc.columns(['person_id', 'step']).doNothing())
    .returning('step')
    .executeTakeFirst();
  return spent ? { ok: true, step } : { ok: false, reason: 'replayed' };
}

/** True only for a right code not used before; see checkTotp for the reason when it is false. */
export async function verifyTotp(db: Db | Tx, keyring: KeyEncryptionService, personId: string, code: string, now?: Date): Promise<boolean> {
  return (await checkTotp(db, keyring, personId, code, now)).ok;
}
