-- A source's account of a person applied to its existing record (src/core/identity/resolve.ts, updateExisting) as a
-- function that always runs on its cached generic plan, as identity_candidates does (0018).
--
-- Sent as a prepared statement, PostgreSQL planned it anew on nearly every call (pg_stat_statements in a bench drain:
-- 99% of calls, 42 µs of planning a message against 13 µs of executing). Every lookup in it is an index probe by key
-- (the record by its source and key, its identifiers, its patient's visit by number), so the generic plan is as good as
-- a custom one.
--
-- Finds the source's record under its key, locked (no row when the source has none), and when the account is newer
-- (its source time, then its content hash, compared with the record's) writes it; a registration upgrades a mention.
-- A newer source time with the same content moves only the patient's newest-demographics time. Returns what the
-- caller needs: whether the account was newer, an upgrade, or the same content; whether the patient has other records
-- of the record's kind (then the golden record can change); the identifiers the record holds (`system|value`); the
-- patient's visit by the number given, and whether facts wait to be linked to it.
CREATE FUNCTION record_account(p_source_time timestamptz, p_hash text, p_source_id uuid, p_record_key text, p_demographics jsonb,
  p_provenance jsonb, p_registering boolean, p_encounter_key text)
RETURNS TABLE (id uuid, patient_id uuid, newer boolean, upgraded boolean, same_content boolean, peers boolean, held text[],
  encounter_id uuid, facts_waiting boolean)
LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan
AS $fn$
#variable_conflict use_column
BEGIN
  RETURN QUERY
    WITH
      r AS (
        SELECT p.id, p.patient_id, p.registering, p.retired_into, p.content_hash,
          (COALESCE(p_source_time, '-infinity'::timestamptz), p_hash) > (COALESCE(p.source_time, '-infinity'::timestamptz), p.content_hash) AS newer
        FROM patient_records p WHERE p.source_id = p_source_id AND p.record_key = p_record_key
        FOR NO KEY UPDATE),
      u AS (
        UPDATE patient_records p SET
          demographics = CASE WHEN r.newer THEN p_demographics ELSE p.demographics END,
          source_time = CASE WHEN r.newer THEN p_source_time ELSE p.source_time END,
          content_hash = CASE WHEN r.newer THEN p_hash ELSE p.content_hash END,
          provenance = CASE WHEN r.newer THEN p_provenance ELSE p.provenance END,
          registering = p.registering OR p_registering, updated_at = now()
        FROM r WHERE p.id = r.id AND (r.newer OR (p_registering AND NOT r.registering))
        RETURNING p.id),
      t AS (
        UPDATE patients n SET demographics_source_time = p_source_time
        FROM r WHERE n.id = r.patient_id AND r.newer AND r.content_hash = p_hash AND p_source_time IS NOT NULL
          AND (n.demographics_source_time IS NULL OR n.demographics_source_time < p_source_time)
        RETURNING n.id)
    SELECT r.id, r.patient_id, r.newer, (p_registering AND NOT r.registering), r.content_hash = p_hash,
      EXISTS (SELECT 1 FROM patient_records o WHERE o.patient_id = r.patient_id AND o.id <> r.id
        AND (o.retired_into IS NULL) = (r.retired_into IS NULL) AND o.registering = r.registering),
      ARRAY(SELECT i.system || '|' || i.value FROM patient_record_identifiers i WHERE i.record_id = r.id),
      (SELECT e.id FROM encounters e WHERE e.patient_id = r.patient_id AND e.source_key = p_encounter_key ORDER BY e.created_at LIMIT 1),
      EXISTS (SELECT 1 FROM clinical_facts f WHERE f.patient_id = r.patient_id AND f.encounter_key = p_encounter_key AND f.encounter_id IS NULL)
    FROM r;
END
$fn$;
