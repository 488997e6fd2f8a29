import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { Coding, FactKind } from '../../model/clinical.ts';
import type { Derivation, ProvenanceRecord } from '../../model/provenance.ts';
import type { Tx } from '../../store/store.ts';
import type { DateBound } from './fhir/date-param.ts';
import type { TokenParam } from './fhir/search-params.ts';
import { factVisibility, type Visibility } from './result-visibility.ts';
import type { StoredFact } from './stored-fact.ts';

/**
 * Facts in SQL. Every query here is `clinical_facts f join patients p`, so one condition carries the patient scope
 * (one authorized patient, or the chart row filter across patients), the result visibility and the search criteria:
 * whatever the caller may not see is neither read nor counted.
 */
export type PatientScope = { patientId: string } | { rowFilter: RawBuilder<SqlBool> };

export interface FactCriteria {
  kinds: readonly FactKind[];
  codes?: readonly TokenParam[];
  statuses?: readonly string[];
  dates?: readonly DateBound[];
  categories?: readonly TokenParam[];
}

/** `patientColumn` is the queried table's patient id; the row filter always reads `patients p`, whatever the table. */
export function scopeCondition(scope: PatientScope, patientColumn: RawBuilder<unknown> = sql`f.patient_id`): RawBuilder<SqlBool> {
  return 'patientId' in scope ? sql<SqlBool>`${patientColumn} = ${scope.patientId}::uuid` : scope.rowFilter;
}

export function dateCondition(column: RawBuilder<unknown>, b: DateBound): RawBuilder<SqlBool> {
  switch (b.prefix) {
    case 'eq':
      return sql<SqlBool>`(${column} >= ${b.start} and ${column} < ${b.end})`;
    case 'ne':
      return sql<SqlBool>`(${column} is not null and not (${column} >= ${b.start} and ${column} < ${b.end}))`;
    case 'lt':
    case 'eb':
      return sql<SqlBool>`${column} < ${b.start}`;
    case 'le':
      return sql<SqlBool>`${column} < ${b.end}`;
    case 'gt':
    case 'sa':
      return sql<SqlBool>`${column} >= ${b.end}`;
    case 'ge':
      return sql<SqlBool>`${column} >= ${b.start}`;
  }
}

function codeCondition(codes: readonly TokenParam[]): RawBuilder<SqlBool> {
  // Containment matches any coding of the fact, the source's own as well as a mapped standard one.
  const one = (t: TokenParam) => sql<SqlBool>`f.codings @> ${JSON.stringify([t.system ? { system: t.system, code: t.code } : { code: t.code }])}::jsonb`;
  return sql<SqlBool>`(${sql.join(codes.map(one), sql` or `)})`;
}

export function factCondition(scope: PatientScope, visibility: Visibility, criteria: FactCriteria): RawBuilder<SqlBool> {
  const parts: RawBuilder<SqlBool>[] = [
    scopeCondition(scope),
    sql<SqlBool>`f.kind = any(${[...criteria.kinds]}::text[])`,
    factVisibility(visibility, 'f'),
  ];
  if (criteria.codes?.length) parts.push(codeCondition(criteria.codes));
  if (criteria.statuses?.length) parts.push(sql<SqlBool>`f.status = any(${[...criteria.statuses]}::text[])`);
  for (const d of criteria.dates ?? []) parts.push(dateCondition(sql`f.effective_at`, d));
  if (criteria.categories?.length) parts.push(sql<SqlBool>`(f.body->>'category') = any(${criteria.categories.map((c) => c.code)}::text[])`);
  return sql<SqlBool>`(${sql.join(parts, sql` and `)})`;
}

/** A table joined to `patients p` (so a scope condition applies), its id column, and its newest-first order. */
export interface PagedTable {
  from: RawBuilder<unknown>;
  id: RawBuilder<unknown>;
  newestFirst: RawBuilder<unknown>;
}

/** The total and one page of ids, newest first: two statements whatever the page size. */
export async function pageIds(trx: Tx, table: PagedTable, where: RawBuilder<SqlBool>, count: number, offset: number): Promise<{ total: number; ids: string[] }> {
  const totalRow = await sql<{ total: number }>`select count(*)::int as total from ${table.from} where ${where}`.execute(trx);
  const total = totalRow.rows[0]?.total ?? 0;
  if (count === 0 || offset >= total) return { total, ids: [] };
  const rows = await sql<{ id: string }>`
    select ${table.id} from ${table.from} where ${where}
    order by ${table.newestFirst} limit ${count} offset ${offset}`.execute(trx);
  return { total, ids: rows.rows.map((r) => r.id) };
}

/** Newest clinical time first, facts without one last: the order of the index `clinical_facts_patient_newest`. */
export const FACT_SORT_KEY = sql`coalesce(f.effective_at, '-infinity'::timestamptz)`;

const FACTS: PagedTable = { from: sql`clinical_facts f join patients p on p.id = f.patient_id`, id: sql`f.id`, newestFirst: sql`${FACT_SORT_KEY} desc, f.id desc` };

export function pageFactIds(trx: Tx, where: RawBuilder<SqlBool>, count: number, offset: number): Promise<{ total: number; ids: string[] }> {
  return pageIds(trx, FACTS, where, count, offset);
}

export interface FactRow {
  id: string;
  kind: FactKind;
  patient_id: string;
  encounter_id: string | null;
  source_id: string | null;
  source_key: string;
  source_name: string | null;
  status: string;
  codings: Coding[];
  code_display: string | null;
  effective_at: Date | null;
  body: Record<string, unknown>;
  derivation: Derivation;
  confidence: number;
  source_time: Date | null;
  last_confirmed_at: Date;
  absent_since: Date | null;
  security_labels: string[];
  versions: number;
  version_id: number | null;
  last_updated: Date;
  provenance: ProvenanceRecord | null;
}

/**
 * The columns of a FactRow, over `clinical_facts f` joined to FACT_JOINS. What the versions know (how many, the newest
 * arrival, the current one's provenance) the writer keeps on the fact row: one primary-key join, no subquery per fact.
 */
export const FACT_COLUMNS = sql`f.id, f.kind, f.patient_id, f.encounter_id, f.source_id, f.source_key, s.name as source_name, f.status,
  f.codings, f.code_display, f.effective_at, f.body, f.derivation, f.confidence, f.source_time, f.last_confirmed_at,
  f.absent_since, f.security_labels, f.version_count as versions, cv.seq as version_id, coalesce(f.last_version_at, f.updated_at) as last_updated, cv.provenance`;
export const FACT_JOINS = sql`left join gateway_sources s on s.id = f.source_id left join clinical_fact_versions cv on cv.id = f.current_version_id`;

/** The facts with these ids that also satisfy `where` (when given), in the order of `ids`. */
export async function loadFacts(trx: Tx, ids: readonly string[], where?: RawBuilder<SqlBool>): Promise<StoredFact[]> {
  if (ids.length === 0) return [];
  const result = await sql<FactRow>`
    select ${FACT_COLUMNS}
    from clinical_facts f join patients p on p.id = f.patient_id ${FACT_JOINS}
    where f.id = any(${[...ids]}::uuid[]) and ${where ?? sql<SqlBool>`true`}`.execute(trx);
  const byId = new Map(result.rows.map((r) => [r.id, toStoredFact(r)]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

export function toStoredFact(r: FactRow): StoredFact {
  return {
    id: r.id,
    kind: r.kind,
    patientId: r.patient_id,
    encounterId: r.encounter_id,
    sourceId: r.source_id,
    sourceKey: r.source_key,
    sourceName: r.source_name,
    status: r.status,
    codings: r.codings,
    codeDisplay: r.code_display,
    effectiveAt: r.effective_at,
    body: r.body,
    derivation: r.derivation,
    confidence: r.confidence,
    sourceTime: r.source_time,
    lastConfirmedAt: r.last_confirmed_at,
    absentSince: r.absent_since,
    securityLabels: r.security_labels,
    versions: r.versions,
    versionId: r.version_id ?? r.versions,
    lastUpdated: r.last_updated,
    provenance: r.provenance,
  };
}

/** Just enough of one fact to decide on it (its patient, status and labels), before any of its content is read. */
export async function factHeader(trx: Tx, id: string, kinds: readonly FactKind[]): Promise<{ patientId: string; kind: FactKind; status: string; labels: string[] } | undefined> {
  const row = await sql<{ patient_id: string; kind: FactKind; status: string; security_labels: string[] }>`
    select patient_id, kind, status, security_labels from clinical_facts where id = ${id}::uuid and kind = any(${[...kinds]}::text[])`.execute(trx);
  const r = row.rows[0];
  return r ? { patientId: r.patient_id, kind: r.kind, status: r.status, labels: r.security_labels } : undefined;
}
