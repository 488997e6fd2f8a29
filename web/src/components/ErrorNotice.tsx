import type { ReactNode } from 'react';
import type { ApiError } from '../api/client.ts';

/** The server's explanation (never patient data) and the request id to quote to an operator. */
export function ErrorNotice({ error, title = 'That did not work', children }: { error: ApiError; title?: string; children?: ReactNode }) {
  return (
    <div className="notice notice--error" role="alert" data-testid="error-notice" data-code={error.code}>
      <p className="notice__title">{title}</p>
      <p>{error.detail}</p>
      {error.fieldErrors.length > 0 ? (
        <ul className="notice__list">
          {error.fieldErrors.map((e) => (
            <li key={`${e.pointer}:${e.detail}`}>
              <code>{e.pointer}</code> {e.detail}
            </li>
          ))}
        </ul>
      ) : null}
      {children}
      {error.requestId ? (
        <p className="notice__meta">
          Request id <code data-testid="request-id">{error.requestId}</code>
        </p>
      ) : null}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status">
      Loading {what}…
    </p>
  );
}
