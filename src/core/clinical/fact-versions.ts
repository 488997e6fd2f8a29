import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { Coding, FactKind } from '../../model/clinical.ts';
import type { ProvenanceRecord } from '../../model/provenance.ts';
import type { Tx } from '../../store/store.ts';
import { factVisibility, type Visibility } from './result-visibility.ts';
import type { StoredVersion } from './stored-fact.ts';

/**
 * Versions of facts, each called by its arrival number (`seq`, its FHIR versionId, never renumbered) and listed in the
 * order the fact writer ranks them (source time, then content hash), the version whose content is current last. A
 * version arriving late with an older source time takes its place in that order under the next number. Versions whose
 * status the caller may not see (a preliminary result for a role without that disclosure) are left out in SQL.
 */
interface VersionRow {
  id: string;
  fact_id: string;
  kind: FactKind;
  number: number;
  status: string;
  codings: Coding[];
  effective_at: Date | null;
  body: Record<string, unknown>;
  source_time: Date | null;
  recorded_at: Date;
  provenance: ProvenanceRecord;
  current: boolean;
}

function versionsWhere(where: RawBuilder<SqlBool>, visibility: Visibility) {
  return sql<VersionRow>`
    select * from (
      select v.id, v.fact_id, f.kind, v.security_labels || f.security_labels as security_labels, v.status, v.codings, v.effective_at, v.body, v.source_time, v.recorded_at, v.provenance,
        (v.id = f.current_version_id) as current, v.seq as number,
        (row_number() over (partition by v.fact_id
           order by (v.id = f.current_version_id), (v.content_hash = f.content_hash), coalesce(v.source_time, '-infinity'::timestamptz), v.content_hash, v.seq))::int as rank
      from clinical_fact_versions v join clinical_facts f on f.id = v.fact_id
      where ${where}) x
    where ${factVisibility(visibility, 'x')}
    order by x.fact_id, x.rank`;
}

export async function loadVersions(trx: Tx, factIds: readonly string[], visibility: Visibility): Promise<StoredVersion[]> {
  if (factIds.length === 0) return [];
  const rows = await versionsWhere(sql<SqlBool>`v.fact_id = any(${[...factIds]}::uuid[])`, visibility).execute(trx);
  return rows.rows.map(toVersion);
}

/** One version by its id (Provenance ids are version ids). */
export async function loadVersion(trx: Tx, versionId: string, visibility: Visibility): Promise<StoredVersion | undefined> {
  const rows = await versionsWhere(sql<SqlBool>`v.fact_id = (select fact_id from clinical_fact_versions where id = ${versionId}::uuid)`, visibility).execute(trx);
  return rows.rows.map(toVersion).find((v) => v.id === versionId);
}

export async function versionFact(trx: Tx, versionId: string): Promise<{ factId: string; patientId: string; kind: FactKind; status: string; labels: string[] } | undefined> {
  const rows = await sql<{ fact_id: string; patient_id: string; kind: FactKind; status: string; security_labels: string[] }>`
    select v.fact_id, f.patient_id, f.kind, v.status, v.security_labels || f.security_labels as security_labels from clinical_fact_versions v join clinical_facts f on f.id = v.fact_id
    where v.id = ${versionId}::uuid`.execute(trx);
  const r = rows.rows[0];
  return r ? { factId: r.fact_id, patientId: r.patient_id, kind: r.kind, status: r.status, labels: r.security_labels } : undefined;
}

function toVersion(r: VersionRow): StoredVersion {
  return {
    id: r.id,
    factId: r.fact_id,
    kind: r.kind,
    number: r.number,
    status: r.status,
    codings: r.codings,
    effectiveAt: r.effective_at,
    body: r.body,
    sourceTime: r.source_time,
    recordedAt: r.recorded_at,
    provenance: r.provenance,
    current: r.current,
  };
}
