import { useCallback, useState } from 'react';
import { useSearchParams } from 'react-router';
import { api } from '../api/client.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { Page } from '../components/Page.tsx';
import { RefusalNotice } from '../components/RefusalNotice.tsx';
import { answerState, useApi, useMutation } from '../hooks/use-api.ts';
import { useSession } from '../session/session.tsx';
import { plural } from '../text/words.ts';
import { filterFrom, filterParams, filterQuery, MessageFilters, TYPE_PATTERN, type MessageFilter } from './MessageFilters.tsx';
import { MessageTable } from './MessageTable.tsx';
import type { MessagePage, ReprocessResult } from './types.ts';
import { reprocessSummary } from './words.ts';

const PAGE_SIZE = 50;

/**
 * The inbox, newest first. Filters live in the address (the dashboard links here with a source and a state set, and
 * Back and reload keep them); "Older" follows the server's cursor. The list does not refresh by itself: every search
 * is written to the audit trail, so it runs when the operator asks.
 */
export function MessageBrowser() {
  const { may } = useSession();
  const [params, setParams] = useSearchParams();
  const applied = filterFrom(params);
  const cursor = params.get('cursor') ?? undefined;
  const pageNumber = Number(params.get('page') ?? 1) || 1;
  const appliedKey = params.toString();
  const typeInvalid = applied.type !== '' && !TYPE_PATTERN.test(applied.type);
  const list = useApi<MessagePage>(typeInvalid ? null : `/api/gateway/messages${filterQuery(applied, { limit: PAGE_SIZE, cursor })}`);
  const page = list.data;
  const selection = useSelection(appliedKey);
  const [answer, setAnswer] = useState<string>();
  const reprocess = useMutation((ids: string[]) => api<ReprocessResult>('/api/gateway/messages/reprocess', { method: 'POST', body: { ids } }));

  function apply(f: MessageFilter) {
    setAnswer(undefined);
    setParams(filterParams(f));
  }

  async function reprocessSelected() {
    setAnswer(undefined);
    const result = await reprocess.mutate([...selection.selected]);
    if (!result) return;
    setAnswer(reprocessSummary(result));
    selection.toggleAll(false);
    list.reload();
  }

  const canReprocess = may('message.reprocess');
  return (
    <Page title="Messages" lead="Every message a listener received, kept as it arrived. Open one to see why it is where it is, and what was done with it.">
      <MessageFilters applied={applied} onApply={apply} />
      {list.state === 'error' ? <ErrorNotice error={list.error} title="The messages could not be listed" /> : null}

      <div className="results-bar">
        <p role="status" aria-live="polite" data-testid="messages-status">
          {list.state === 'loading' ? 'Loading…' : page ? (page.items.length === 0 ? 'No message matches.' : `Page ${pageNumber}: ${plural(page.items.length, 'message')}${page.next ? ', older ones on the next page' : ''}.`) : null}
        </p>
        {canReprocess && page && page.items.length > 0 ? (
          <div className="selection-bar" role="group" aria-label="Selected messages">
            <span className="muted" data-testid="selected-count">
              {selection.selected.size === 0 ? 'None selected' : `${plural(selection.selected.size, 'message')} selected`}
            </span>
            <button type="button" className="btn btn--primary" disabled={selection.selected.size === 0 || reprocess.pending} onClick={() => void reprocessSelected()}>
              {reprocess.pending ? 'Reprocessing…' : 'Reprocess selected'}
            </button>
          </div>
        ) : null}
      </div>
      {answer ? (
        <div className="notice notice--ok" role="status" data-testid="reprocess-answer">
          <p>{answer}</p>
        </div>
      ) : null}
      {reprocess.error ? <RefusalNotice error={reprocess.error} failedTitle="Nothing was reprocessed" /> : null}

      {page && page.items.length > 0 ? (
        <MessageTable
          items={page.items}
          loaded={{ state: answerState(list), query: appliedKey }}
          {...(canReprocess ? { selection: { selected: selection.selected, toggle: selection.toggle, toggleAll: (on: boolean) => selection.toggleAll(on, page.items.map((m) => m.id)) } } : {})}
        />
      ) : null}

      {page && (cursor || page.next) ? (
        <nav className="pager" aria-label="Result pages">
          <button type="button" className="btn btn--quiet" disabled={!cursor} onClick={() => setParams(filterParams(applied))}>
            Newest
          </button>
          <button type="button" className="btn btn--quiet" disabled={!page.next} onClick={() => page.next && setParams({ ...filterParams(applied), cursor: page.next, page: String(pageNumber + 1) })}>
            Older
          </button>
        </nav>
      ) : null}
    </Page>
  );
}

/** Selected ids, forgotten when the filter or page changes (the rows they named are gone from view). */
function useSelection(key: string) {
  const [state, setState] = useState<{ key: string; ids: Set<string> }>({ key, ids: new Set() });
  const selected = state.key === key ? state.ids : new Set<string>();
  const toggle = useCallback(
    (id: string, on: boolean) =>
      setState((s) => {
        const ids = new Set(s.key === key ? s.ids : []);
        if (on) ids.add(id);
        else ids.delete(id);
        return { key, ids };
      }),
    [key],
  );
  const toggleAll = useCallback((on: boolean, ids: string[] = []) => setState({ key, ids: new Set(on ? ids : []) }), [key]);
  return { selected, toggle, toggleAll };
}
