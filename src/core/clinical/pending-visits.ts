import { sql } from 'kysely';
import { fixedStatement } from '../../store/fixed-statement.ts';
import type { Tx } from '../../store/store.ts';
import { ENCOUNTER_COLUMNS, encounterUpsertOf, type EncounterValues } from './fact-writer.ts';

/**
 * The visits a batch's registrations give, written together before the batch's facts (pending-facts.ts), instead of
 * one statement per registration. Each visit is owned by its record's patient as it is when written, and facts that
 * named the visit before it was registered are linked to it in the same statement, as linkWaitingFacts does for one.
 * Two accounts of one visit go in successive statements (waves), in arrival order: an upsert may not touch a row twice,
 * and the newer account must be compared with the one before it.
 */
export interface PendingVisit {
  recordId: string;
  values: EncounterValues;
}

const upsertVisits = fixedStatement((rowsJson: string) => {
  const owner = sql`i CROSS JOIN LATERAL (SELECT p.patient_id FROM patient_records p WHERE p.id = i.record_id LIMIT 1) r`;
  const upsert = encounterUpsertOf({ from: owner, patientId: sql`r.patient_id`, recordId: sql`i.record_id` }, ENCOUNTER_COLUMNS.map((c) => sql`i.${sql.ref(c)}`), sql`id, source_id, source_key`);
  return sql`
    WITH i AS (
      SELECT * FROM jsonb_to_recordset(${rowsJson}::jsonb) AS i(id uuid, facility_id uuid, status text, class text, starts_at timestamptz,
        ends_at timestamptz, source_id uuid, source_key text, source_time timestamptz, provenance jsonb, location text, record_id uuid)),
    w AS (${upsert})
    UPDATE clinical_facts f SET encounter_id = w.id
    FROM w JOIN i ON i.source_id = w.source_id AND i.source_key = w.source_key
    CROSS JOIN LATERAL (SELECT p.patient_id FROM patient_records p WHERE p.id = i.record_id LIMIT 1) r
    WHERE f.patient_id = r.patient_id AND f.encounter_key = w.source_key AND f.encounter_id IS NULL`;
});

/** One visit's row: its provenance is JSON already, so the row is written around it rather than parsed again. */
function visitJson({ recordId, values }: PendingVisit): string {
  const [id, facilityId, status, klass, startsAt, endsAt, sourceId, sourceKey, sourceTime, provenance, location] = values;
  const row = { id, facility_id: facilityId, status, class: klass, starts_at: startsAt, ends_at: endsAt, source_id: sourceId, source_key: sourceKey, source_time: sourceTime, location, record_id: recordId };
  return `${JSON.stringify(row).slice(0, -1)},"provenance":${provenance}}`;
}

/** Writes the visits in arrival order, one statement per wave. */
export async function writeVisits(trx: Tx, visits: readonly PendingVisit[]): Promise<void> {
  const waves: string[][] = [];
  const seen = new Map<string, number>();
  for (const visit of visits) {
    const key = `${visit.values[6]}|${visit.values[7]}`;
    const wave = seen.get(key) ?? 0;
    seen.set(key, wave + 1);
    (waves[wave] ??= []).push(visitJson(visit));
  }
  for (const rows of waves) await upsertVisits(trx, `[${rows.join(',')}]`);
}
