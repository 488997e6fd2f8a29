import type { ApiError } from '../api/client.ts';
import { accountRefusalText } from '../text/words.ts';
import { ErrorNotice } from './ErrorNotice.tsx';

/** A refusal (403) in the decision point's words for accounts; any other failure as the server explained it. */
export function RefusalNotice({ error, failedTitle = 'That did not work' }: { error: ApiError; failedTitle?: string }) {
  if (error.status !== 403 || error.code === 'csrf-failed') return <ErrorNotice error={error} title={failedTitle} />;
  return (
    <div className="notice notice--warn" role="alert" data-testid="action-refusal" data-reason={error.reason ?? ''}>
      <p className="notice__title">Vigil refused this</p>
      <p>{accountRefusalText(error.reason, error.detail)}</p>
      <p>Nothing was changed, and the attempt is in the audit trail.</p>
      {error.requestId ? (
        <p className="notice__meta">
          Request id <code>{error.requestId}</code>
        </p>
      ) : null}
    </div>
  );
}
