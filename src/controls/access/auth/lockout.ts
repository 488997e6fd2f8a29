import type { Db, Tx } from '../../../store/store.ts';

/**
 * Progressive lockout. Five wrong passwords (or second factors) in a row lock the account for one minute; every
 * further failure after a lock doubles it, up to an hour. A locked account answers exactly like a wrong password, so
 * probing a username never shows whether it exists or is locked. Attempts while locked are not counted: an attacker
 * must not be able to keep a colleague locked out for ever by hammering the sign-in page.
 */
export const LOCKOUT_THRESHOLD = 5;
export const FIRST_LOCK_MS = 60_000;
export const MAX_LOCK_MS = 60 * 60_000;

/** How long the account locks after this many consecutive failures (0: not locked). */
export function lockDurationMs(consecutiveFailures: number): number {
  if (consecutiveFailures < LOCKOUT_THRESHOLD) return 0;
  const doublings = Math.min(consecutiveFailures - LOCKOUT_THRESHOLD, 30);
  return Math.min(FIRST_LOCK_MS * 2 ** doublings, MAX_LOCK_MS);
}

export function isLocked(lockedUntil: Date | null | undefined, now: Date): boolean {
  return lockedUntil instanceof Date && lockedUntil.getTime() > now.getTime();
}

/** Counts one failure atomically (concurrent attempts each count) and locks when the count says so. */
export async function recordFailure(trx: Tx | Db, personId: string, now: Date): Promise<{ failures: number; lockedUntil: Date | null }> {
  const row = await trx
    .updateTable('people')
    .set((eb) => ({ failed_logins: eb('failed_logins', '+', 1) }))
    .where('id', '=', personId)
    .returning('failed_logins')
    .executeTakeFirstOrThrow();
  const failures = row.failed_logins;
  const lockMs = lockDurationMs(failures);
  if (lockMs === 0) return { failures, lockedUntil: null };
  const lockedUntil = new Date(now.getTime() + lockMs);
  await trx.updateTable('people').set({ locked_until: lockedUntil }).where('id', '=', personId).execute();
  return { failures, lockedUntil };
}

/** A successful sign-in (or an unlock by support) starts the count again. */
export async function clearFailures(trx: Tx | Db, personId: string): Promise<void> {
  await trx.updateTable('people').set({ failed_logins: 0, locked_until: null }).where('id', '=', personId).execute();
}
