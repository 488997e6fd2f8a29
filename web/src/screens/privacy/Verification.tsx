import type { AuditStatus, CheckpointView } from '../../api/types.ts';
import { ErrorNotice, Loading } from '../../components/ErrorNotice.tsx';
import { Page } from '../../components/Page.tsx';
import { Pill } from '../../components/Pill.tsx';
import { useApi } from '../../hooks/use-api.ts';
import { useSession } from '../../session/session.tsx';
import { agoText, dateTime } from '../../text/time.ts';
import { plural } from '../../text/words.ts';
import { ColumnHeads } from '../../components/ColumnHeads.tsx';

const BEHIND_SECONDS = 60;

/**
 * How much of the audit trail is sealed into the hash chain and Merkle tree, the latest signed checkpoint and its key,
 * and how anyone can check it offline. Status needs audit.read; checkpoints need audit.verify.
 */
export function Verification() {
  const { may } = useSession();
  const status = useApi<AuditStatus>(may('audit.read') ? '/api/audit/status' : null);
  const checkpoints = useApi<{ checkpoints: CheckpointView[] }>(may('audit.verify') ? '/api/audit/checkpoints?limit=10' : null);
  const reload = () => {
    if (may('audit.read')) status.reload();
    if (may('audit.verify')) checkpoints.reload();
  };
  const s = status.state === 'ok' ? status.data : undefined;
  const latest = s?.latestCheckpoint ?? checkpoints.data?.checkpoints[0] ?? null;

  return (
    <Page
      title="Verification"
      lead="Audit events are sealed in order into a hash chain and a Merkle tree, and signed checkpoints commit to them. Anyone with an export and the public key can check that nothing was changed, removed or inserted."
      actions={
        <button type="button" className="btn btn--quiet" onClick={reload}>
          Refresh
        </button>
      }
    >
      {status.state === 'error' ? <ErrorNotice error={status.error} title="The status could not be loaded" /> : null}
      {may('audit.read') && status.state === 'loading' && !s ? <Loading what="the status" /> : null}
      {s ? <SealStatus status={s} /> : null}

      {latest ? (
        <section className="panel" aria-labelledby="checkpoint-title" data-testid="latest-checkpoint">
          <h2 id="checkpoint-title" className="panel__title">
            Latest signed checkpoint
          </h2>
          <dl className="facts facts--table">
            <div>
              <dt>Covers</dt>
              <dd data-testid="checkpoint-size">
                the first {plural(latest.tree_size, 'event')}
                {s ? ` of ${s.events.toLocaleString()}` : ''}
              </dd>
            </div>
            <div>
              <dt>Signed</dt>
              <dd>
                {dateTime(latest.issued_at)} ({agoText(latest.issued_at)})
              </dd>
            </div>
            <div>
              <dt>Signing key id</dt>
              <dd className="mono" data-testid="checkpoint-key">
                {latest.key_id}
              </dd>
            </div>
            <div>
              <dt>Merkle root (SHA-256)</dt>
              <dd className="mono hash">{latest.root_hash}</dd>
            </div>
            <div>
              <dt>Hash-chain head</dt>
              <dd className="mono hash">{latest.chain_hash}</dd>
            </div>
            <div>
              <dt>Signature (Ed25519)</dt>
              <dd className="mono hash">{latest.signature}</dd>
            </div>
          </dl>
        </section>
      ) : s ? (
        <p className="panel panel--quiet">No checkpoint has been signed yet; one follows shortly after the first events are sealed.</p>
      ) : null}

      {checkpoints.state === 'error' ? <ErrorNotice error={checkpoints.error} title="The checkpoints could not be loaded" /> : null}
      {checkpoints.data && checkpoints.data.checkpoints.length > 0 ? (
        <section aria-labelledby="checkpoints-title">
          <div className="section-head">
            <h2 id="checkpoints-title" className="section-title">
              Recent checkpoints
            </h2>
            <a href="/api/audit/checkpoints">All checkpoints (JSON)</a>
          </div>
          <table className="table table--dense" data-testid="checkpoints">
            <ColumnHeads columns={['Tree size', 'Signed', 'Key id', 'Merkle root']} />
            <tbody>
              {checkpoints.data.checkpoints.map((c) => (
                <tr key={c.tree_size}>
                  <td className="num">{c.tree_size.toLocaleString()}</td>
                  <td className="num">{dateTime(c.issued_at)}</td>
                  <td className="mono">{c.key_id}</td>
                  <td className="mono hash">{c.root_hash}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}

      <section className="panel panel--quiet" aria-labelledby="offline-title">
        <h2 id="offline-title" className="panel__title">
          Check it yourself
        </h2>
        <p>On a machine with Vigil installed, an operator can export the trail and verify every hash, signature and checkpoint offline:</p>
        <pre className="json">{`vigil audit public-key > audit-keys.pem
vigil audit export --out audit.ndjson
vigil audit verify audit.ndjson --public-key audit-keys.pem`}</pre>
        <p className="muted">
          The verifier exits with an error naming the first position that does not check out. <code>vigil audit verify --live</code> checks the database
          itself.
        </p>
      </section>
    </Page>
  );
}

function SealStatus({ status }: { status: AuditStatus }) {
  const behindSeconds = status.oldestPendingAt ? (Date.now() - new Date(status.oldestPendingAt).getTime()) / 1000 : 0;
  const verdict =
    status.pending === 0
      ? { tone: 'ok' as const, label: 'All sealed', text: 'Every recorded event is sealed into the log.' }
      : behindSeconds > BEHIND_SECONDS
        ? { tone: 'warn' as const, label: 'Sealing is behind', text: `The oldest unsealed event was recorded ${agoText(status.oldestPendingAt!)}. Check that a worker is running (System).` }
        : { tone: 'ok' as const, label: 'Sealing', text: 'New events are waiting a moment to be sealed, as expected.' };
  return (
    <section className="stat-row" aria-label="Sealing status" data-testid="seal-status" data-state={verdict.tone}>
      <div className="stat">
        <span className="stat__label">Events recorded</span>
        <span className="stat__value" data-testid="stat-events">
          {status.events.toLocaleString()}
        </span>
      </div>
      <div className="stat">
        <span className="stat__label">Sealed</span>
        <span className="stat__value" data-testid="stat-sealed">
          {status.sealed.toLocaleString()}
        </span>
      </div>
      <div className="stat">
        <span className="stat__label">Waiting to be sealed</span>
        <span className="stat__value" data-testid="stat-pending">
          {status.pending.toLocaleString()}
        </span>
      </div>
      <div className="stat stat--wide">
        <Pill tone={verdict.tone}>{verdict.label}</Pill>
        <p>{verdict.text}</p>
        <p className="muted">Kept for {Math.round(status.retentionDays / 365.25)} years ({status.retentionDays.toLocaleString()} days); nothing deletes events before then.</p>
      </div>
    </section>
  );
}
