import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { query } from '../api/client.ts';
import { ErrorNotice, Loading } from '../components/ErrorNotice.tsx';
import { Page } from '../components/Page.tsx';
import { Pill } from '../components/Pill.tsx';
import { useApi } from '../hooks/use-api.ts';
import { useSession } from '../session/session.tsx';
import { agoText, clock } from '../text/time.ts';
import { plural } from '../text/words.ts';
import { elapsed, stamp, whenShort } from './time.ts';
import { BACKLOG_STATES, type FeedView } from './types.ts';
import { BACKLOG_LABELS, cadenceText, KIND_WORDS } from './words.ts';

const REFRESH_MS = 15_000;

/**
 * One row per source: when it last sent, how often it should, whether it has gone quiet, and what is stuck. Refreshes
 * every 15 s (reading feeds is not a read of patient data, so polling writes no audit events). Stale feeds sort first:
 * they are what someone woken at 3 a.m. came to see.
 */
export function FeedsDashboard() {
  const feeds = useApi<{ feeds: FeedView[] }>('/api/gateway/feeds');
  const { reload } = feeds;
  const [answeredAt, setAnsweredAt] = useState<Date>();
  useEffect(() => {
    const timer = window.setInterval(reload, REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [reload]);
  useEffect(() => {
    if (feeds.state === 'ok') setAnsweredAt(new Date());
  }, [feeds.state, feeds.data]);

  const list = feeds.data ? sortFeeds(feeds.data.feeds) : undefined;
  return (
    <Page
      title="Feeds"
      lead="Every registered source: when it last sent, how often it is expected to, and the messages waiting for you."
      actions={
        <button type="button" className="btn btn--quiet" onClick={reload}>
          Refresh now
        </button>
      }
    >
      {feeds.state === 'error' ? (
        <ErrorNotice error={feeds.error} title={list ? 'The last refresh failed: what you see may be out of date' : 'The feeds could not be loaded'}>
          {answeredAt ? <p>Last answer at {clock(answeredAt)}. Vigil tries again every 15 seconds.</p> : null}
        </ErrorNotice>
      ) : null}
      {!list && feeds.state === 'loading' ? <Loading what="the feeds" /> : null}
      {list ? (
        <>
          <FeedsSummary feeds={list} answeredAt={answeredAt} />
          {list.length === 0 ? <p className="panel panel--quiet">No source is registered yet. Register one under Sources.</p> : <FeedsTable feeds={list} />}
          <UnregisteredLink />
        </>
      ) : null}
    </Page>
  );
}

function sortFeeds(feeds: FeedView[]): FeedView[] {
  return [...feeds].sort((a, b) => Number(b.stale) - Number(a.stale) || a.source.name.localeCompare(b.source.name));
}

function FeedsSummary({ feeds, answeredAt }: { feeds: FeedView[]; answeredAt: Date | undefined }) {
  const stale = feeds.filter((f) => f.stale).length;
  const stuck = feeds.reduce((n, f) => n + BACKLOG_STATES.reduce((m, s) => m + (f.backlog[s] ?? 0), 0), 0);
  return (
    <div className="feeds-summary">
      {/* Polite and atomic: a feed turning stale is announced once per change, not on every refresh. */}
      <p className="feeds-summary__verdict" role="status" aria-live="polite" aria-atomic="true" data-testid="feeds-verdict" data-stale={stale}>
        {stale > 0 ? <Pill tone="bad">{`${stale} stale`}</Pill> : <Pill tone="ok">All on time</Pill>}
        <span>
          {plural(feeds.length, 'feed')}
          {stale > 0 ? `, ${stale} ${stale === 1 ? 'has' : 'have'} gone quiet` : ''}; {stuck === 0 ? 'no message waiting for you' : `${plural(stuck, 'message')} waiting for you`}.
        </span>
      </p>
      <p className="muted" data-testid="feeds-checked">
        {answeredAt ? `Checked ${clock(answeredAt)}` : 'Checking'} · refreshes every 15 s
      </p>
    </div>
  );
}

function FeedsTable({ feeds }: { feeds: FeedView[] }) {
  return (
    <div className="table-scroll">
      <table className="table feeds" data-testid="feeds">
        <thead>
          <tr>
            <th scope="col">Source</th>
            <th scope="col">Last message</th>
            <th scope="col">Expected</th>
            <th scope="col">Freshness</th>
            {BACKLOG_STATES.map((s) => (
              <th key={s} scope="col" className="feeds__count">
                {BACKLOG_LABELS[s]}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {feeds.map((f) => (
            <FeedRow key={f.source.id} feed={f} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function FeedRow({ feed }: { feed: FeedView }) {
  return (
    <tr className={feed.stale ? 'feeds__row feeds__row--stale' : 'feeds__row'} data-source={feed.source.name} data-stale={feed.stale}>
      <th scope="row" className="feeds__source">
        <span className="feeds__name">{feed.source.name}</span>
        <span className="cell__sub">
          {KIND_WORDS[feed.source.kind] ?? feed.source.kind}
          {feed.source.enabled ? '' : ' · disabled'}
        </span>
      </th>
      <td className="num">
        {feed.lastMessageAt ? (
          <>
            <time dateTime={feed.lastMessageAt}>{agoText(feed.lastMessageAt)}</time>
            <span className="cell__sub">{stamp(feed.lastMessageAt)}</span>
          </>
        ) : (
          <span className="muted">Never</span>
        )}
      </td>
      <td>{cadenceText(feed)}</td>
      <td>
        <Freshness feed={feed} />
      </td>
      {BACKLOG_STATES.map((s) => (
        <td key={s} className="feeds__count">
          <BacklogCount source={feed.source.name} state={s} n={feed.backlog[s] ?? 0} />
        </td>
      ))}
    </tr>
  );
}

function Freshness({ feed }: { feed: FeedView }) {
  if (!feed.cadence) return <Pill tone="unknown">Not watched</Pill>;
  if (!feed.watched) return <Pill tone="unknown">Outside active hours</Pill>;
  if (feed.stale) {
    // The watcher records when it first saw the feed stale; until its next round, the deadline that passed says it.
    const since = feed.staleSince ?? feed.dueBy;
    return (
      <span className="freshness" data-testid="stale">
        <span className="stale-badge">Stale</span>
        <span className="cell__sub">{since ? `since ${whenShort(since)} (${elapsed(since)})` : 'nothing received yet'}</span>
      </span>
    );
  }
  return (
    <span className="freshness">
      <Pill tone="ok">On time</Pill>
      {feed.dueBy ? <span className="cell__sub">next due by {whenShort(feed.dueBy)}</span> : null}
    </span>
  );
}

function BacklogCount({ source, state, n }: { source: string; state: string; n: number }) {
  if (n === 0) return <span className="muted">0</span>;
  return (
    <Link className={`count count--${state}`} to={`/integration/messages${query({ source, state })}`} aria-label={`${plural(n, 'message')} ${BACKLOG_LABELS[state]?.toLowerCase()} from ${source}`}>
      {n.toLocaleString()}
    </Link>
  );
}

/** Senders that are not registered have no feed, so their messages are reached from here. */
function UnregisteredLink() {
  const { may } = useSession();
  if (!may('message.read')) return null;
  return (
    <p className="muted">
      Messages from senders that are not registered are quarantined and belong to no feed:{' '}
      <Link to={`/integration/messages${query({ source: 'unregistered', state: 'quarantined' })}`}>see quarantined messages from unregistered senders</Link>.
    </p>
  );
}
