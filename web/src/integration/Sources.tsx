import { Link } from 'react-router';
import { query } from '../api/client.ts';
import { ErrorNotice, Loading } from '../components/ErrorNotice.tsx';
import { Page } from '../components/Page.tsx';
import { Pill } from '../components/Pill.tsx';
import { useApi } from '../hooks/use-api.ts';
import { useSession } from '../session/session.tsx';
import { RegisterSourceForm } from './RegisterSourceForm.tsx';
import { ReplayForm } from './ReplayForm.tsx';
import type { GatewaySource } from './types.ts';
import { KIND_WORDS } from './words.ts';
import { ColumnHeads } from '../components/ColumnHeads.tsx';

/** The registered senders, with their profile version; registering an HL7 source; replaying a source over a time range. */
export function Sources() {
  const { may } = useSession();
  const sources = useApi<{ sources: GatewaySource[] }>(may('feed.read') ? '/api/gateway/sources' : null);
  const list = sources.data?.sources;
  return (
    <Page title="Sources" lead="The systems allowed to send to Vigil. An HL7 v2 sender is recognised by MSH-3 (sending application) and MSH-4 (sending facility); anything else is quarantined.">
      {sources.state === 'error' ? <ErrorNotice error={sources.error} title="The sources could not be listed" /> : null}
      {may('feed.read') && !list && sources.state === 'loading' ? <Loading what="the sources" /> : null}
      {list ? list.length === 0 ? <p className="panel panel--quiet">No source is registered yet.</p> : <SourceTable sources={list} /> : null}
      <div className="two-col">
        {may('source.manage') ? <RegisterSourceForm onRegistered={sources.reload} /> : null}
        {may('message.replay') && list && list.length > 0 ? <ReplayForm sources={list} /> : null}
      </div>
    </Page>
  );
}

function SourceTable({ sources }: { sources: GatewaySource[] }) {
  const { may } = useSession();
  return (
    <table className="table sources" data-testid="sources">
      <ColumnHeads columns={['Name', 'Kind', 'Recognised by', 'Addresses', 'Profile', 'Status', may('message.read') && 'Messages']} />
      <tbody>
        {sources.map((s) => (
          <tr key={s.id} data-source={s.name}>
            <th scope="row" className="table__primary">
              {s.name}
            </th>
            <td>{KIND_WORDS[s.kind] ?? s.kind}</td>
            <td>
              {s.kind === 'hl7v2' ? (
                <span className="mono">
                  {s.msh3 ?? '—'} / {s.msh4 ?? '—'}
                </span>
              ) : (
                <span className="mono">{s.clientId ?? '—'}</span>
              )}
              <span className="cell__sub">{s.kind === 'hl7v2' ? 'MSH-3 / MSH-4' : 'system client'}</span>
            </td>
            <td>{s.peerAllowlist.length > 0 ? <span className="mono">{s.peerAllowlist.join(', ')}</span> : <span className="muted">Any address</span>}</td>
            <td className="num" data-testid="profile-version">
              v{s.profileVersion}
            </td>
            <td>{s.enabled ? <Pill tone="ok">Enabled</Pill> : <Pill tone="unknown">Disabled</Pill>}</td>
            {may('message.read') ? (
              <td>
                <Link to={`/integration/messages${query({ source: s.name })}`} aria-label={`Messages from ${s.name}`}>
                  Messages
                </Link>
              </td>
            ) : null}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
