import { randomBytes } from 'node:crypto';
import { hash, verify, type Algorithm, type Options } from '@node-rs/argon2';
import type { Db, Tx } from '../../../store/store.ts';
import { NotFoundError } from '../../../errors.ts';
import { WeakPasswordError } from './errors.ts';

/**
 * Passwords are stored as argon2id hashes (OWASP's minimum parameters: 19 MiB, 2 passes, 1 lane). A sign-in for a
 * username that does not exist, or an account without a password, still pays for one verification against a dummy
 * hash, so the time an answer takes does not tell an attacker which usernames exist.
 */
// @node-rs/argon2 declares Algorithm as an ambient const enum, which isolated modules cannot read: 2 is Argon2id.
const ARGON2ID = 2 as Algorithm;
const OPTIONS: Options = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export const MIN_PASSWORD_LENGTH = 12;
// Long enough for any passphrase or manager-made password, short enough that hashing cannot be used to burn CPU.
export const MAX_PASSWORD_LENGTH = 256;

let dummyHash: Promise<string> | undefined;
function dummy(): Promise<string> {
  dummyHash ??= hash(randomBytes(32), OPTIONS);
  return dummyHash;
}

export async function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

/** False for a wrong password, a missing hash, or a stored hash that cannot be read: never throws on bad input. */
export async function verifyPassword(storedHash: string | null | undefined, password: string): Promise<boolean> {
  if (typeof password !== 'string' || password.length > MAX_PASSWORD_LENGTH * 4) {
    await verify(await dummy(), 'x').catch(() => false);
    return false;
  }
  if (!storedHash) {
    await verify(await dummy(), password).catch(() => false);
    return false;
  }
  try {
    return await verify(storedHash, password);
  } catch {
    return false;
  }
}

/** Why a new password is refused, or null when it is acceptable. Never quotes the password. */
export function passwordProblem(password: string, username?: string): string | null {
  if (typeof password !== 'string') return 'A password must be text.';
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) return `A password needs at least ${MIN_PASSWORD_LENGTH} characters; a passphrase of several words is easiest to remember.`;
  if (length > MAX_PASSWORD_LENGTH) return `A password may have at most ${MAX_PASSWORD_LENGTH} characters.`;
  if (username && username.length >= 4 && password.toLowerCase().includes(username.toLowerCase())) return 'A password may not contain the username.';
  return null;
}

/** Sets a person's password and clears any lockout: whoever sets it (the person or an admin) has proved enough. */
export async function setPassword(db: Db | Tx, personId: string, password: string): Promise<void> {
  const person = await db.selectFrom('people').select(['id', 'username']).where('id', '=', personId).executeTakeFirst();
  if (!person) throw new NotFoundError('No person has this id.');
  const problem = passwordProblem(password, person.username);
  if (problem) throw new WeakPasswordError(problem);
  const passwordHash = await hashPassword(password);
  await db.updateTable('people').set({ password_hash: passwordHash, failed_logins: 0, locked_until: null, updated_at: new Date() }).where('id', '=', personId).execute();
}
