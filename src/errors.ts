/**
 * Typed errors. A message here is written for the person who will read it and never carries data from a
 * request, a message or a database row: it may be shown in an error body or a log line as it is.
 */
export class VigilError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, status: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
  }
}

/** A setting is missing or has a value outside what is allowed. The CLI prints `message` alone and exits 2. */
export class ConfigError extends VigilError {
  readonly setting: string;
  constructor(setting: string, message: string) {
    super('config-invalid', 500, message);
    this.setting = setting;
  }
}

/** Another process owns the embedded data folder. */
export class DataDirLockedError extends VigilError {
  constructor(message: string) {
    super('data-dir-locked', 500, message);
  }
}

export class MigrationError extends VigilError {
  constructor(code: string, message: string) {
    super(code, 500, message);
  }
}

/**
 * The code broke one of its own rules (a statement built with the wrong arguments, a data structure out of step with
 * itself): a defect to fix, never the fault of a request or a message. A message that meets one is not quarantined as
 * if it were malformed; it retries and ends in the dead-letter state, to be reprocessed once the defect is fixed.
 */
export class InvariantError extends VigilError {
  constructor(message: string) {
    super('internal-invariant', 500, message);
  }
}

export class NotFoundError extends VigilError {
  constructor(message = 'No such resource.') {
    super('not-found', 404, message);
  }
}

export class ServiceUnavailableError extends VigilError {
  constructor(message: string) {
    super('service-unavailable', 503, message);
  }
}

/** The name and code of any thrown value, and nothing else: safe to log. */
export function describeError(err: unknown): { err_name: string; error_code: string } {
  if (err instanceof VigilError) return { err_name: err.name, error_code: err.code };
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { err_name: err.name, error_code: typeof code === 'string' && /^[A-Za-z0-9_.-]{1,40}$/.test(code) ? code : 'unknown' };
  }
  return { err_name: typeof err, error_code: 'unknown' };
}

/** No valid credential came with the request. */
export class UnauthenticatedError extends VigilError {
  constructor(message = 'Sign in first: send a valid bearer token or session cookie.') {
    super('unauthenticated', 401, message);
  }
}

/** The policy decision point said no. `reason` is a reason code from the PDP, safe to show. */
export class ForbiddenError extends VigilError {
  readonly reason: string;
  constructor(reason: string, message = 'You are not allowed to do this.') {
    super('forbidden', 403, message);
    this.reason = reason;
  }
}
