import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { FactKind } from '../../model/clinical.ts';
import type { Tx } from '../../store/store.ts';
import type { Position } from './chart-cursor.ts';
import { FACT_COLUMNS, FACT_JOINS, FACT_SORT_KEY, toStoredFact, type FactRow } from './fact-query.ts';
import { factVisibility, type Visibility } from './result-visibility.ts';
import type { StoredFact } from './stored-fact.ts';

/**
 * The chart's sections in SQL, for one authorized patient: each section's newest facts (keyset-paged by clinical
 * time, then id, never by offset) and each section's total, both under the caller's result visibility, so a fact the
 * caller may not see is neither shown nor counted. A section spans one or more kinds; each kind is read newest first
 * from the index `clinical_facts_patient_newest` with its own LIMIT, and a window over those few rows keeps each
 * section's newest. The results section lists reports and the observations outside any report the caller may see
 * (those inside one come with their report, fact-links.ts).
 *
 * The visibility here is one patient's (`visibilityFor`): each action is `true` or `null`, never a condition over
 * `patients p`, so these queries do not join patients.
 */
export const FACT_SECTIONS = {
  medications: ['medication-request', 'medication-administration', 'medication-statement', 'medication-dispense'],
  results: ['diagnostic-report', 'observation'],
  allergies: ['allergy'],
  problems: ['condition'],
  documents: ['document'],
} as const satisfies Record<string, readonly FactKind[]>;

export type FactSection = keyof typeof FACT_SECTIONS;
export type ChartSectionName = FactSection | 'encounters';
export const CHART_SECTIONS: readonly ChartSectionName[] = ['encounters', 'results', 'medications', 'problems', 'allergies', 'documents'];

export function isChartSection(name: string): name is ChartSectionName {
  return (CHART_SECTIONS as readonly string[]).includes(name);
}

export interface SectionRequest {
  section: FactSection;
  limit: number;
  after?: Position;
}

export interface SectionRows {
  facts: StoredFact[];
  /** Where the last fact of the page sits, when more follow. */
  last: Position | null;
}

/**
 * The observations outside any report the caller may see (none of their source has their report key, or that report's
 * status is withheld): a hash anti-join of two index-only scans (`clinical_facts_observation_report`,
 * `clinical_facts_report`), about a millisecond for 3,000 observations and 800 reports.
 */
function outsideReports(patientId: string, visibility: Visibility) {
  return sql`select o.id from clinical_facts o
    where o.patient_id = ${patientId}::uuid and o.kind = 'observation' and ${factVisibility(visibility, 'o')}
      and not exists (
        select 1 from clinical_facts r
        where r.patient_id = ${patientId}::uuid and r.kind = 'diagnostic-report' and r.source_id = o.source_id
          and r.source_key = o.report_key and ${factVisibility(visibility, 'r')})`;
}

const afterCondition = (after: Position | undefined): RawBuilder<SqlBool> =>
  after ? sql<SqlBool>`(${FACT_SORT_KEY}, f.id) < (${after.at}::timestamptz, ${after.id}::uuid)` : sql<SqlBool>`true`;

const wantsObservations = (sections: readonly FactSection[]) => sections.some((s) => (FACT_SECTIONS[s] as readonly FactKind[]).includes('observation'));

/** One statement for every requested section: a LIMITed index scan per kind, a window per section over what they found. */
export async function pageSections(trx: Tx, patientId: string, visibility: Visibility, requests: readonly SectionRequest[]): Promise<Map<FactSection, SectionRows>> {
  const out = new Map<FactSection, SectionRows>(requests.map((r) => [r.section, { facts: [], last: null }]));
  if (requests.length === 0) return out;
  const visible = factVisibility(visibility, 'f');
  const scans = requests.flatMap((r) =>
    FACT_SECTIONS[r.section].map(
      (kind) => sql`(select ${r.section}::text as section, f.id, ${FACT_SORT_KEY} as sort_at from clinical_facts f
        where f.patient_id = ${patientId}::uuid and f.kind = ${kind} and ${kind === 'observation' ? sql`f.id in (select id from loose)` : visible}
          and ${afterCondition(r.after)}
        order by ${FACT_SORT_KEY} desc, f.id desc limit ${r.limit + 1})`,
    ),
  );
  const loose = wantsObservations(requests.map((r) => r.section)) ? sql`loose as materialized (${outsideReports(patientId, visibility)}),` : sql``;
  const limits = sql`(values ${sql.join(requests.map((r) => sql`(${r.section}::text, ${r.limit + 1}::int)`))}) as l(section, keep)`;
  const rows = await sql<FactRow & { section: FactSection; sort_key: string }>`
    with ${loose} found as (${sql.join(scans, sql` union all `)}),
    ranked as (select found.*, row_number() over (partition by found.section order by found.sort_at desc, found.id desc) as n from found)
    select ranked.section, ranked.sort_at::text as sort_key, ${FACT_COLUMNS}
    from ranked join ${limits} on l.section = ranked.section join clinical_facts f on f.id = ranked.id ${FACT_JOINS}
    where ranked.n <= l.keep
    order by ranked.section, ranked.n`.execute(trx);
  const byId = new Map<string, { section: FactSection; sortKey: string }>();
  for (const row of rows.rows) {
    out.get(row.section)!.facts.push(toStoredFact(row));
    byId.set(row.id, { section: row.section, sortKey: row.sort_key });
  }
  for (const r of requests) {
    const page = out.get(r.section)!;
    if (page.facts.length <= r.limit) continue;
    page.facts.length = r.limit;
    const last = page.facts[r.limit - 1]!;
    page.last = { rank: 0, at: byId.get(last.id)!.sortKey, id: last.id };
  }
  return out;
}

/**
 * Each section's total: the facts the caller may see, observations inside a visible report not counted twice. Every
 * kind but observations is counted from `clinical_facts_patient_newest` alone (it carries the status).
 */
export async function countSections(trx: Tx, patientId: string, visibility: Visibility, sections: readonly FactSection[]): Promise<Map<FactSection, number>> {
  const kinds = sections.flatMap((s) => [...FACT_SECTIONS[s]]).filter((k) => k !== 'observation');
  const out = new Map<FactSection, number>(sections.map((s) => [s, 0]));
  if (sections.length === 0) return out;
  const observations = wantsObservations(sections) ? sql`union all select 'observation', count(*)::int from (${outsideReports(patientId, visibility)}) loose` : sql``;
  const rows = await sql<{ kind: FactKind; n: number }>`
    select f.kind, count(*)::int as n from clinical_facts f
    where f.patient_id = ${patientId}::uuid and f.kind = any(${kinds}::text[]) and ${factVisibility(visibility, 'f')}
    group by f.kind
    ${observations}`.execute(trx);
  const sectionOf = (kind: FactKind) => sections.find((s) => (FACT_SECTIONS[s] as readonly FactKind[]).includes(kind))!;
  for (const row of rows.rows) out.set(sectionOf(row.kind), out.get(sectionOf(row.kind))! + row.n);
  return out;
}

/** One page of the patient's encounters, newest first (those without a start last), and how many there are. */
export async function pageEncounters(trx: Tx, patientId: string, limit: number, after?: Position): Promise<{ total: number; ids: string[]; last: Position | null }> {
  const key = sql`coalesce(e.starts_at, '-infinity'::timestamptz)`;
  const where = after ? sql`and (${key}, e.id) < (${after.at}::timestamptz, ${after.id}::uuid)` : sql``;
  // The total rides on the page's statement (a page may be empty: then the total's row has no id).
  const page = await sql<{ id: string | null; sort_key: string | null; total: number }>`
    select p.id, p.sort_key, t.total from (select count(*)::int as total from encounters e where e.patient_id = ${patientId}::uuid) t
    left join lateral (
      select e.id, ${key} as at, ${key}::text as sort_key from encounters e where e.patient_id = ${patientId}::uuid ${where}
      order by ${key} desc, e.id desc limit ${limit + 1}) p on true
    order by p.at desc, p.id desc`.execute(trx);
  const found = page.rows.flatMap((r) => (r.id && r.sort_key ? [{ id: r.id, sortKey: r.sort_key }] : []));
  const rows = found.slice(0, limit);
  const last = found.length > limit ? rows[rows.length - 1]! : undefined;
  return { total: page.rows[0]?.total ?? 0, ids: rows.map((r) => r.id), last: last ? { rank: 0, at: last.sortKey, id: last.id } : null };
}
