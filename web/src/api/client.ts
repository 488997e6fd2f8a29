/**
 * The one way the web app talks to the Vigil API. It sends the session cookie (same origin), adds the CSRF token to
 * every unsafe request, turns every error shape the server uses (RFC 9457 problem documents, FHIR OperationOutcome,
 * OAuth 2.0 errors) into one ApiError whose text is the server's `detail` (written never to carry patient data), and
 * tells the session when the server says the session is over. It decides nothing about access: the server does.
 */

/** The CSRF token of this tab's cookie session. Kept in sessionStorage so a reload keeps it; never in localStorage. */
const CSRF_KEY = 'vigil.csrf';
const CSRF_HEADER = 'x-csrf-token';
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const TIMEOUT_MS = 20_000;

export const csrfToken = {
  get: (): string | null => {
    try {
      return window.sessionStorage.getItem(CSRF_KEY);
    } catch {
      return null;
    }
  },
  set: (token: string): void => {
    try {
      window.sessionStorage.setItem(CSRF_KEY, token);
    } catch {
      // Storage blocked: the token lives for this page only, which still works until a reload.
    }
    memoryToken = token;
  },
  clear: (): void => {
    memoryToken = null;
    try {
      window.sessionStorage.removeItem(CSRF_KEY);
    } catch {
      // nothing to clear
    }
  },
};
let memoryToken: string | null = null;

/** An answer that was not a success, in words for the person using the app. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** The server's machine code (e.g. `forbidden`, `session-ended`, `mfa-invalid`, `auth.invalid_credentials`). */
    readonly code: string,
    /** The server's explanation; safe to show (it never quotes patient data). */
    readonly detail: string,
    readonly requestId: string | null,
    /** The decision point's reason on a 403 (e.g. `deny-no-care-relation`). */
    readonly reason: string | null = null,
    /** Field-level problems of a 400 (`body/reasonText`: `must NOT have fewer than…`). */
    readonly fieldErrors: { pointer: string; detail: string }[] = [],
  ) {
    super(detail);
    this.name = 'ApiError';
  }
}

/** Why the session ended, for the sign-in screen to say. */
export type SessionEnd = 'expired' | 'csrf';
type SessionEndListener = (why: SessionEnd) => void;
let sessionEndListener: SessionEndListener | undefined;

export function onSessionEnd(listener: SessionEndListener): () => void {
  sessionEndListener = listener;
  return () => {
    if (sessionEndListener === listener) sessionEndListener = undefined;
  };
}

// 401s that mean "this request's second factor was wrong", not "your session is over".
const NOT_A_SESSION_END = new Set(['mfa-invalid', 'auth.invalid_totp', 'auth.invalid_credentials', 'auth.mfa_required']);

interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  signal?: AbortSignal;
  /** Sign-in and the first "who am I" handle a 401 themselves. */
  sessionCheck?: boolean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** Reads any of the server's error shapes. */
export function errorFrom(status: number, body: unknown, headerRequestId: string | null): ApiError {
  if (isRecord(body)) {
    // RFC 9457 problem document.
    if (typeof body.detail === 'string') {
      const errors = Array.isArray(body.errors)
        ? body.errors.filter(isRecord).map((e) => ({ pointer: String(e.pointer ?? ''), detail: String(e.detail ?? '') }))
        : [];
      return new ApiError(status, str(body.code) ?? `http-${status}`, body.detail, str(body.requestId) ?? headerRequestId, str(body.reason), errors);
    }
    // FHIR OperationOutcome (routes under /fhir).
    if (body.resourceType === 'OperationOutcome' && Array.isArray(body.issue) && isRecord(body.issue[0])) {
      const issue = body.issue[0];
      const details = isRecord(issue.details) ? issue.details : {};
      const coding = Array.isArray(details.coding) ? details.coding.filter(isRecord) : [];
      const code = str(coding.find((c) => c.system === 'urn:vigil:problem')?.code) ?? `http-${status}`;
      const reason = str(coding.find((c) => c.system === 'urn:vigil:access-reason')?.code);
      const fromDiagnostics = /request id (\S+)/.exec(String(issue.diagnostics ?? ''))?.[1] ?? null;
      return new ApiError(status, code, str(details.text) ?? 'The server refused the request.', fromDiagnostics ?? headerRequestId, reason);
    }
    // OAuth 2.0 error (sign-in).
    if (typeof body.error === 'string') {
      return new ApiError(status, `auth.${body.error}`, str(body.error_description) ?? 'Signing in failed.', headerRequestId);
    }
  }
  return new ApiError(status, `http-${status}`, `The server answered HTTP ${status} without an explanation.`, headerRequestId);
}

async function readBody(response: Response): Promise<unknown> {
  if (response.status === 204) return undefined;
  const type = response.headers.get('content-type') ?? '';
  if (!/json/.test(type)) return undefined;
  try {
    return await response.json();
  } catch {
    return undefined;
  }
}

export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json, application/fhir+json, application/problem+json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (UNSAFE.has(method)) {
    const token = memoryToken ?? csrfToken.get();
    if (token) headers[CSRF_HEADER] = token;
  }
  const timeout = AbortSignal.timeout(TIMEOUT_MS);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;

  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      signal,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
  } catch (err) {
    if (options.signal?.aborted) throw err;
    const timedOut = timeout.aborted;
    throw new ApiError(0, timedOut ? 'timeout' : 'network', timedOut ? 'Vigil did not answer within 20 seconds. Try again; if it keeps happening, tell an operator.' : 'Vigil could not be reached. Check your network connection, then try again.', null);
  }

  const body = await readBody(response);
  if (response.ok) return body as T;

  const error = errorFrom(response.status, body, response.headers.get('x-request-id'));
  if (options.sessionCheck !== false) {
    if (response.status === 401 && !NOT_A_SESSION_END.has(error.code)) sessionEndListener?.('expired');
    if (response.status === 403 && (error.code === 'csrf-failed' || error.code === 'auth.csrf_failed')) sessionEndListener?.('csrf');
  }
  throw error;
}

/** Query string from an object, leaving out empty values. */
export function query(params: Record<string, string | number | boolean | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '' || value === false) continue;
    search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError';
}
