import type { Tx } from '../../store/store.ts';
import { decodeCursor, encodeCursor, type Position } from './chart-cursor.ts';
import { countSections, FACT_SECTIONS, pageEncounters, pageSections, type ChartSectionName, type FactSection, type SectionRequest } from './chart-sections.ts';
import { chartEncounter, chartFact, chartResult, type ChartSection, type ChartSectionItems } from './chart-view.ts';
import { loadEncounters } from './encounter-query.ts';
import { reportObservations } from './fact-links.ts';
import type { Visibility } from './result-visibility.ts';
import type { StoredFact } from './stored-fact.ts';

/**
 * Pages of the chart's sections, for one patient the caller was authorized for: what the first screen and "show more"
 * return, with cursors bound to the patient and section. Also the facts shown, for the audit event of the read.
 */
export const CHART_LIMIT = { default: 25, max: 200 } as const;
/** Allergies and problems are read whole on the first screen up to this many: a clinician needs all of them. */
export const WHOLE_SECTION = 200;

const listName = (section: ChartSectionName) => `chart:${section}`;

export function sectionCursor(patientId: string, section: ChartSectionName, cursor: string): Position {
  return decodeCursor(patientId, listName(section), cursor);
}

export interface SectionsRead {
  sections: Partial<{ [S in ChartSectionName]: ChartSection<ChartSectionItems[S]> }>;
  /** Every fact shown, report observations included. */
  shown: StoredFact[];
  encounters: number;
}

export interface PageRequest {
  section: ChartSectionName;
  limit: number;
  after?: Position;
}

/** Runs one named step; the chart bench times each step through it (bench/chart/floor.ts). */
export type StepTimer = <T>(name: string, fn: () => Promise<T> | T) => Promise<T>;
const untimed: StepTimer = async (_name, fn) => fn();

export async function readSections(trx: Tx, patientId: string, visibility: Visibility, requests: readonly PageRequest[], time: StepTimer = untimed): Promise<SectionsRead> {
  const out: SectionsRead = { sections: {}, shown: [], encounters: 0 };
  const next = (section: ChartSectionName, last: Position | null) => (last ? encodeCursor(patientId, listName(section), last) : null);

  const factRequests = requests.filter((r): r is SectionRequest => r.section !== 'encounters');
  const factSections = factRequests.map((r) => r.section);
  if (factRequests.length > 0) {
    const pages = await time('pages', () => pageSections(trx, patientId, visibility, factRequests));
    const totals = await time('counts', () => countSections(trx, patientId, visibility, factSections));
    const reports = [...pages.values()].flatMap((p) => p.facts.filter((f) => f.kind === 'diagnostic-report'));
    const observations = await time('observations', () => reportObservations(trx, patientId, reports, visibility));
    await time('view', () => {
      for (const section of factSections) {
        const page = pages.get(section)!;
        const items = section === 'results' ? page.facts.map((f) => chartResult(f, observations)) : page.facts.map(chartFact);
        setSection(out, section, { items, total: totals.get(section) ?? 0, next: next(section, page.last) });
        out.shown.push(...page.facts);
      }
      out.shown.push(...[...observations.values()].flat());
    });
  }

  const encounters = requests.find((r) => r.section === 'encounters');
  if (encounters) {
    const { page, loaded } = await time('encounters', async () => {
      const found = await pageEncounters(trx, patientId, encounters.limit, encounters.after);
      return { page: found, loaded: await loadEncounters(trx, found.ids, patientId) };
    });
    out.sections.encounters = { items: loaded.map(chartEncounter), total: page.total, next: next('encounters', page.last) };
    out.encounters = loaded.length;
  }
  return out;
}

function setSection(out: SectionsRead, section: FactSection, value: ChartSection<ChartSectionItems[FactSection]>): void {
  (out.sections as Record<FactSection, ChartSection<ChartSectionItems[FactSection]>>)[section] = value;
}

/** The first screen: every section's newest entries, allergies and problems whole unless very long. */
export function firstScreen(limit: number): PageRequest[] {
  const sections = Object.keys(FACT_SECTIONS) as FactSection[];
  return [
    { section: 'encounters', limit },
    ...sections.map((section) => ({ section, limit: section === 'allergies' || section === 'problems' ? Math.max(limit, WHOLE_SECTION) : limit })),
  ];
}
