import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { ProvenanceRecord } from '../../model/provenance.ts';
import type { Tx } from '../../store/store.ts';
import { dateCondition, pageIds, scopeCondition, type PagedTable, type PatientScope } from './fact-query.ts';
import type { DateBound } from './fhir/date-param.ts';
import { STORED_TO_FHIR_STATUS } from './fhir/encounter.ts';
import type { StoredEncounter } from './stored-fact.ts';

/** Encounters in SQL, scoped like facts (`encounters e join patients p`). */
export interface EncounterCriteria {
  /** Stored statuses (planned, active, finished, cancelled). */
  statuses?: readonly string[];
  dates?: readonly DateBound[];
}

export function storedEncounterStatuses(fhirStatuses: readonly string[]): string[] {
  return Object.entries(STORED_TO_FHIR_STATUS).filter(([, fhir]) => fhirStatuses.includes(fhir)).map(([stored]) => stored);
}

export function encounterCondition(scope: PatientScope, criteria: EncounterCriteria): RawBuilder<SqlBool> {
  const parts: RawBuilder<SqlBool>[] = [scopeCondition(scope, sql`e.patient_id`)];
  // An empty list after mapping means the caller asked only for statuses encounters here never have.
  if (criteria.statuses) parts.push(sql<SqlBool>`e.status = any(${[...criteria.statuses]}::text[])`);
  for (const d of criteria.dates ?? []) parts.push(dateCondition(sql`e.starts_at`, d));
  return sql<SqlBool>`(${sql.join(parts, sql` and `)})`;
}

const ENCOUNTERS: PagedTable = { from: sql`encounters e join patients p on p.id = e.patient_id`, id: sql`e.id`, newestFirst: sql`e.starts_at desc nulls last, e.id desc` };

export function pageEncounterIds(trx: Tx, where: RawBuilder<SqlBool>, count: number, offset: number): Promise<{ total: number; ids: string[] }> {
  return pageIds(trx, ENCOUNTERS, where, count, offset);
}

interface EncounterRow {
  id: string;
  patient_id: string;
  facility_id: string | null;
  status: StoredEncounter['status'];
  class: string;
  starts_at: Date | null;
  ends_at: Date | null;
  source_id: string | null;
  source_key: string | null;
  source_name: string | null;
  location: string | null;
  provenance: ProvenanceRecord | null;
  updated_at: Date;
}

/** Encounters by id, in the order of `ids`; with `patientId`, only that patient's. */
export async function loadEncounters(trx: Tx, ids: readonly string[], patientId?: string): Promise<StoredEncounter[]> {
  if (ids.length === 0) return [];
  const rows = await sql<EncounterRow>`
    select e.id, e.patient_id, e.facility_id, e.status, e.class, e.starts_at, e.ends_at, e.source_id, e.source_key,
      s.name as source_name, e.location, e.provenance, e.updated_at
    from encounters e left join gateway_sources s on s.id = e.source_id
    where e.id = any(${[...ids]}::uuid[]) ${patientId ? sql`and e.patient_id = ${patientId}::uuid` : sql``}`.execute(trx);
  const byId = new Map(rows.rows.map((r) => [r.id, toStoredEncounter(r)]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

export async function encounterPatient(trx: Tx, id: string): Promise<string | undefined> {
  const row = await trx.selectFrom('encounters').select('patient_id').where('id', '=', id).executeTakeFirst();
  return row?.patient_id;
}

/** Every encounter of one patient, newest first. */
export async function patientEncounters(trx: Tx, patientId: string): Promise<StoredEncounter[]> {
  const rows = await sql<{ id: string }>`select id from encounters where patient_id = ${patientId}::uuid order by starts_at desc nulls last, id desc`.execute(trx);
  return loadEncounters(trx, rows.rows.map((r) => r.id), patientId);
}

function toStoredEncounter(r: EncounterRow): StoredEncounter {
  return {
    id: r.id,
    patientId: r.patient_id,
    facilityId: r.facility_id,
    status: r.status,
    class: r.class,
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    sourceId: r.source_id,
    sourceKey: r.source_key,
    sourceName: r.source_name,
    location: r.location,
    provenance: r.provenance,
    updatedAt: r.updated_at,
  };
}
