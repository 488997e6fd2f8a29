import { Link, useSearchParams } from 'react-router';
import { query } from '../api/client.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { Page } from '../components/Page.tsx';
import { Pill } from '../components/Pill.tsx';
import { useApi } from '../hooks/use-api.ts';
import { calendarDate } from '../text/time.ts';
import { plural } from '../text/words.ts';
import { stamp } from '../integration/time.ts';
import type { MatchState, PossibleMatchSummary } from './types.ts';
import { heldShort, personName, sexText, STATE_WORDS } from './words.ts';
import { ColumnHeads } from '../components/ColumnHeads.tsx';
import './identity.css';

const PAGE_SIZE = 25;
const STATES: MatchState[] = ['open', 'linked', 'not-a-match'];

/**
 * The queue of pairs the index would not link by itself: open ones oldest first (the longest wait first), decided ones
 * newest decision first (to find one to undo). The state and page live in the address. Every listing shows both
 * people's names, so it is audited against each patient: the list does not refresh by itself.
 */
export function PossibleMatches() {
  const [params, setParams] = useSearchParams();
  const state = (STATES as string[]).includes(params.get('state') ?? '') ? (params.get('state') as MatchState) : 'open';
  const cursor = params.get('cursor') ?? undefined;
  const pageNumber = Number(params.get('page') ?? 1) || 1;
  const list = useApi<{ items: PossibleMatchSummary[]; next: string | null }>(`/api/identity/possible-matches${query({ state, limit: PAGE_SIZE, cursor })}`);
  const page = list.data;
  const show = (s: MatchState) => setParams(s === 'open' ? {} : { state: s });

  return (
    <Page
      title="Possible matches"
      lead="Records that may belong to a patient Vigil already has, held back because the index would not link them on its own. Compare each pair and decide. Every look is recorded against both patients."
    >
      <div className="tabs" role="group" aria-label="Which pairs">
        {STATES.map((s) => (
          <button key={s} type="button" className={s === state ? 'tabs__tab tabs__tab--active' : 'tabs__tab'} aria-pressed={s === state} onClick={() => show(s)}>
            {s === 'open' ? 'Waiting' : STATE_WORDS[s].label}
          </button>
        ))}
      </div>

      {list.state === 'error' ? <ErrorNotice error={list.error} title="The possible matches could not be listed" /> : null}
      <p role="status" aria-live="polite" data-testid="matches-status">
        {list.state === 'loading'
          ? 'Loading…'
          : page
            ? page.items.length === 0
              ? state === 'open'
                ? 'No pair is waiting for review.'
                : 'No pair has been decided this way yet.'
              : `Page ${pageNumber}: ${plural(page.items.length, 'pair')}${page.next ? ', more on the next page' : ''}.`
            : null}
      </p>

      {page && page.items.length > 0 ? (
        <div className="table-wrap">
          <table className="table matches" data-testid="matches" data-state={list.state}>
            <ColumnHeads columns={[state === 'open' ? 'Waiting since' : 'Decided', 'Record that arrived', 'Patient it may be', state === 'open' ? 'Why it waits' : 'Why it was held', 'Fields']} action="Open" />
            <tbody>
              {page.items.map((m) => (
                <tr key={m.id} data-match={m.id}>
                  <td className="num">
                    {stamp(state === 'open' ? m.createdAt : m.decidedAt)}
                    {state !== 'open' && m.decidedBy ? <span className="cell__sub">by {m.decidedBy.name ?? 'a colleague'}</span> : null}
                  </td>
                  <th scope="row" className="matches__who">
                    <span className="matches__name">{personName(m.record)}</span>
                    <span className="cell__sub">{[m.record.birthDate ? `Born ${calendarDate(m.record.birthDate)}` : 'No birth date', sexText(m.record.sex)].filter(Boolean).join(' · ')}</span>
                    <span className="cell__sub">from {m.record.source}</span>
                  </th>
                  <td className="matches__who">
                    <span className="matches__name">{personName(m.candidate)}</span>
                    <span className="cell__sub">{[m.candidate.birthDate ? `Born ${calendarDate(m.candidate.birthDate)}` : 'No birth date', sexText(m.candidate.sex)].filter(Boolean).join(' · ')}</span>
                    <span className="cell__sub">{plural(m.candidate.records, 'record')} from sources</span>
                  </td>
                  <td>{heldShort(m.conflict, m.rule)}</td>
                  <td className="num">
                    <span className="agree">
                      <span aria-hidden="true">✓ </span>
                      {m.agree} agree
                    </span>
                    <span className={m.differ > 0 ? 'cell__sub differ' : 'cell__sub'}>
                      <span aria-hidden="true">✗ </span>
                      {m.differ} differ
                    </span>
                  </td>
                  <td className="cell--actions">
                    <Link className="btn btn--quiet btn--small" to={`/integration/possible-matches/${m.id}`} aria-label={`Compare ${personName(m.record)} with ${personName(m.candidate)}`}>
                      {state === 'open' ? 'Compare' : 'Open'}
                    </Link>
                    {state !== 'open' ? (
                      <span className="cell__sub">
                        <Pill tone={STATE_WORDS[m.state].tone}>{STATE_WORDS[m.state].label}</Pill>
                      </span>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}

      {page && (cursor || page.next) ? (
        <nav className="pager" aria-label="Pages">
          <button type="button" className="btn btn--quiet" disabled={!cursor} onClick={() => show(state)}>
            First page
          </button>
          <button type="button" className="btn btn--quiet" disabled={!page.next} onClick={() => page.next && setParams({ ...(state === 'open' ? {} : { state }), cursor: page.next, page: String(pageNumber + 1) })}>
            Next page
          </button>
        </nav>
      ) : null}
    </Page>
  );
}
