import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { plural } from '../text/words.ts';
import { MORE_PAGE, type SectionPages } from './use-section-pages.ts';

/**
 * Under a long section: how much of it is shown, and a button for the next older entries. Says nothing when the
 * whole section is on screen. Counts are what this reader may see: withheld results are in neither.
 */
export function ShowMore<T>({ pages, shown, one, many, testId }: { pages: SectionPages<T>; shown: number; one: string; many?: string; testId: string }) {
  if (!pages.next) return null;
  const left = Math.max(0, pages.total - shown);
  return (
    <div className="chart__more" data-testid={`${testId}-more`}>
      <p className="muted chart__note">
        Showing the newest {shown.toLocaleString('en-US')} of {plural(pages.total, one, many)}.
      </p>
      <button type="button" className="btn btn--quiet btn--small" onClick={pages.loadMore} disabled={pages.pending} aria-busy={pages.pending}>
        {pages.pending ? 'Loading…' : `Show ${Math.min(MORE_PAGE, left || MORE_PAGE).toLocaleString('en-US')} older`}
      </button>
      {pages.error ? <ErrorNotice error={pages.error} title="The older entries could not be loaded" /> : null}
    </div>
  );
}
