import { VigilError } from '../../errors.ts';

/**
 * Directory requests that are well-formed but break a rule of the directory (a window that ends before it starts, a
 * role that does not exist, a team member who does not work at the team's facility). Messages name the field and the
 * rule, never the values sent: a value may be a person's name.
 */
export class DirectoryRuleError extends VigilError {
  constructor(code: string, message: string) {
    super(code, 422, message);
  }
}

/** The change collides with the directory as it is now (a taken username, an encounter that already finished). */
export class DirectoryConflictError extends VigilError {
  constructor(code: string, message: string) {
    super(code, 409, message);
  }
}

export class InvalidCursorError extends VigilError {
  constructor() {
    super('invalid-cursor', 400, 'The cursor is not one this endpoint issued; request the first page again without it.');
  }
}

/** Postgres unique_violation: a concurrent request took the same key between our check and our insert. */
export function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === '23505';
}
