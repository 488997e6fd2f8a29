import { userInfo } from 'node:os';

/** The OS account that ran a CLI command, for the audit trail's actor name (a name, never a secret). */
export function cliOperator(): string | null {
  try {
    return userInfo().username.slice(0, 64);
  } catch {
    return null;
  }
}
