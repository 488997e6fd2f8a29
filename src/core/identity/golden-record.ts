import { sql } from 'kysely';
import type { Db, Tx } from '../../store/store.ts';

/**
 * A Vigil patient's demographics are a projection of the source records linked to it, field by field: each field comes
 * from the first record that has it, records ranked live before source-retired, registrations (ADT) before mentions in
 * results and orders, then newest source time, then content hash, so the result never depends on arrival order. The
 * name is taken whole from one record (a family name from one source and a given name from another would make a
 * person nobody registered). For a patient first entered in the directory, a field no record has keeps what was entered
 * (a source that sends no phone number has not removed one); a patient the gateway created is exactly the projection,
 * whatever order its records arrived in. Identifiers are the union of the linked records' (plus any entered in the directory).
 */
export async function refreshGoldenRecord(db: Db | Tx, patientId: string): Promise<void> {
  await refreshGoldenRecords(db, [patientId]);
}

/**
 * refreshGoldenRecord for many patients in one statement (the gateway refreshes a batch's patients at its end): the
 * function `refresh_golden_records` (migration 0023), on its cached generic plan, which reaches records, identifiers
 * and patients only by index, however many patients it is given.
 */
export async function refreshGoldenRecords(db: Db | Tx, patientIds: readonly string[]): Promise<void> {
  const ids = [...new Set(patientIds)].sort();
  if (ids.length === 0) return;
  await sql`SELECT refresh_golden_records(${ids}::uuid[])`.execute(db);
}

/** Makes `patient_identifiers` (what search and the FHIR face read) agree with the record's current link. */
export async function projectRecordIdentifiers(db: Db | Tx, recordId: string): Promise<void> {
  await sql`
    DELETE FROM patient_identifiers pi USING patient_records r
    WHERE pi.record_id = ${recordId} AND r.id = ${recordId} AND pi.patient_id <> r.patient_id`.execute(db);
  await sql`
    INSERT INTO patient_identifiers (patient_id, system, value, record_id)
    SELECT r.patient_id, i.system, i.value, r.id FROM patient_record_identifiers i JOIN patient_records r ON r.id = i.record_id
    WHERE i.record_id = ${recordId}
    ON CONFLICT (system, value, patient_id) DO NOTHING`.execute(db);
}
