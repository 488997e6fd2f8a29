import { useCallback, useState } from 'react';
import { api, ApiError } from '../api/client.ts';
import type { ChartSection, ChartSectionItems, ChartSectionPage } from './types.ts';

/** How many entries one "show more" adds (the server caps a page at 200). */
export const MORE_PAGE = 50;

export interface SectionPages<T> {
  items: T[];
  total: number;
  next: string | null;
  pending: boolean;
  error: ApiError | undefined;
  loadMore: () => void;
}

interface Loaded<T> {
  /** The first page these pages follow: a reloaded chart starts the section again. */
  first: ChartSection<T>;
  items: T[];
  total: number;
  next: string | null;
}

/**
 * One chart section as the reader has opened it: the chart's first page plus every "show more" page since, each
 * fetched with the cursor of the page before (GET /api/patients/:id/chart/:section?before=…). Every page is a read
 * of its own on the server, audited like the chart.
 */
export function useSectionPages<S extends keyof ChartSectionItems>(patientId: string, section: S, first: ChartSection<ChartSectionItems[S]>): SectionPages<ChartSectionItems[S]> {
  type T = ChartSectionItems[S];
  const [loaded, setLoaded] = useState<Loaded<T>>({ first, items: [], total: first.total, next: first.next });
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError>();
  const current: Loaded<T> = loaded.first === first ? loaded : { first, items: [], total: first.total, next: first.next };

  const loadMore = useCallback(() => {
    if (!current.next || pending) return;
    setPending(true);
    setError(undefined);
    api<ChartSectionPage<S>>(`/api/patients/${encodeURIComponent(patientId)}/chart/${section}?limit=${MORE_PAGE}&before=${encodeURIComponent(current.next)}`).then(
      (page) => setLoaded({ first, items: [...current.items, ...(page.items as T[])], total: page.total, next: page.next }),
      (err: unknown) => setError(err instanceof ApiError ? err : new ApiError(0, 'client', 'The next entries could not be loaded. Try again.', null)),
    ).finally(() => setPending(false));
  }, [current, first, patientId, pending, section]);

  return { items: [...first.items, ...current.items], total: current.total, next: current.next, pending, error: loaded.first === first ? error : undefined, loadMore };
}
