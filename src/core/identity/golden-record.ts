import { sql } from 'kysely';
import type { Db, Tx } from '../../store/store.ts';

/**
 * A Vigil patient's demographics are a projection of the source records linked to it: the live (not source-retired)
 * record with the latest source time wins, ties broken by content hash so the result does not depend on arrival
 * order. Identifiers are the union of the linked records' identifiers (plus any entered in the directory).
 */
export async function refreshGoldenRecord(db: Db | Tx, patientId: string): Promise<void> {
  await sql`
    UPDATE patients p SET
      family_name = r.demographics->>'family',
      given_names = NULLIF(array_to_string(ARRAY(SELECT jsonb_array_elements_text(r.demographics->'given')), ' '), ''),
      birth_date = (r.demographics->>'birthDate')::date,
      sex = r.demographics->>'sex',
      phone = r.demographics->>'phone',
      address_line = r.demographics->'address'->>'line',
      address_city = r.demographics->'address'->>'city',
      address_postal_code = r.demographics->'address'->>'postalCode',
      demographics_source_time = r.source_time,
      updated_at = now()
    FROM (
      SELECT demographics, source_time FROM patient_records
      WHERE patient_id = ${patientId}
      ORDER BY (retired_into IS NULL) DESC, source_time DESC NULLS LAST, content_hash DESC
      LIMIT 1) r
    WHERE p.id = ${patientId}`.execute(db);
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
