import { VigilError } from '../../../errors.ts';

/**
 * Sign-in and token endpoints answer in the OAuth 2.0 error shape (RFC 6749 §5.2) because the clients that call them
 * (the web UI, EHR integrations, SMART backend services) already understand it. Descriptions are written for the
 * caller, never quote what was sent, and never say whether a username exists.
 */
export type AuthErrorCode =
  | 'invalid_credentials'
  | 'mfa_required'
  | 'invalid_totp'
  | 'invalid_grant'
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_scope'
  | 'unsupported_grant_type'
  | 'csrf_failed';

export class AuthError extends VigilError {
  readonly error: AuthErrorCode;
  constructor(error: AuthErrorCode, status: number, description: string) {
    super(`auth.${error}`, status, description);
    this.error = error;
  }
}

/** One message for every wrong-username, wrong-password, disabled and locked case, so none can be told apart. */
export const invalidCredentials = (): AuthError => new AuthError('invalid_credentials', 401, 'The username or password is not correct, or the account cannot sign in now.');

/** Refused for reasons that are the caller's to fix, before any secret is checked. */
export class WeakPasswordError extends VigilError {
  constructor(message: string) {
    super('password-weak', 400, message);
  }
}
