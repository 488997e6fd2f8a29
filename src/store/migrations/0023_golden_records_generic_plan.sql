-- The golden-record refresh (src/core/identity/golden-record.ts, refreshGoldenRecords) as a function that always runs
-- on its cached generic plan, as record_account (0020) and identity_candidates (0018) do.
--
-- Sent as a prepared statement, PostgreSQL planned it anew on every call (pg_stat_statements in a bench drain: 12 µs
-- of planning a message against 13 µs of executing; about 240 µs a plan). It reaches records and patients through
-- `= ANY(p_ids)` on their indexes, and a patient's entered identifiers by a scalar subquery with LIMIT, which the
-- planner cannot turn into a join: as EXISTS, the generic plan hashed the whole identifier index on every call (the
-- identity scaling test caught it), since it cannot know how many patients p_ids holds.
--
-- Each demographic field comes from the first linked record that has it, records ranked live before source-retired,
-- registrations before mentions, then newest source time, then content hash; the name is taken whole from one record.
-- For a patient with identifiers entered in the directory (no record), a field no record has keeps what was entered.
-- A change to the projection is a new migration that replaces this function.
CREATE FUNCTION refresh_golden_records(p_ids uuid[])
RETURNS void
LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan
AS $fn$
BEGIN
  WITH ranked AS (
    SELECT patient_id, demographics AS d, source_time,
      row_number() OVER (PARTITION BY patient_id ORDER BY (retired_into IS NULL) DESC, registering DESC, source_time DESC NULLS LAST, content_hash DESC) AS rank
    FROM patient_records WHERE patient_id = ANY (p_ids)),
  chosen AS (
    SELECT patient_id,
      (array_agg(d->>'family' ORDER BY rank) FILTER (WHERE d->>'family' IS NOT NULL))[1] AS family,
      (array_agg(NULLIF(array_to_string(ARRAY(SELECT jsonb_array_elements_text(d->'given')), ' '), '') ORDER BY rank) FILTER (WHERE d->>'family' IS NOT NULL))[1] AS given,
      (array_agg(d->>'birthDate' ORDER BY rank) FILTER (WHERE d->>'birthDate' IS NOT NULL))[1] AS birth_date,
      (array_agg(d->>'sex' ORDER BY rank) FILTER (WHERE d->>'sex' IS NOT NULL))[1] AS sex,
      (array_agg(d->>'phone' ORDER BY rank) FILTER (WHERE d->>'phone' IS NOT NULL))[1] AS phone,
      (array_agg(d->'address'->>'line' ORDER BY rank) FILTER (WHERE d->'address'->>'line' IS NOT NULL))[1] AS line,
      (array_agg(d->'address'->>'city' ORDER BY rank) FILTER (WHERE d->'address'->>'city' IS NOT NULL))[1] AS city,
      (array_agg(d->'address'->>'postalCode' ORDER BY rank) FILTER (WHERE d->'address'->>'postalCode' IS NOT NULL))[1] AS postal,
      max(source_time) AS newest,
      (SELECT true FROM patient_identifiers e WHERE e.patient_id = ranked.patient_id AND e.record_id IS NULL LIMIT 1) IS NOT NULL AS entered
    FROM ranked GROUP BY patient_id)
  UPDATE patients p SET
    family_name = CASE WHEN c.entered THEN COALESCE(c.family, p.family_name) ELSE c.family END,
    given_names = CASE WHEN c.entered THEN COALESCE(c.given, p.given_names) ELSE c.given END,
    birth_date = CASE WHEN c.entered THEN COALESCE(c.birth_date::date, p.birth_date) ELSE c.birth_date::date END,
    sex = CASE WHEN c.entered THEN COALESCE(c.sex, p.sex) ELSE c.sex END,
    phone = CASE WHEN c.entered THEN COALESCE(c.phone, p.phone) ELSE c.phone END,
    address_line = CASE WHEN c.entered THEN COALESCE(c.line, p.address_line) ELSE c.line END,
    address_city = CASE WHEN c.entered THEN COALESCE(c.city, p.address_city) ELSE c.city END,
    address_postal_code = CASE WHEN c.entered THEN COALESCE(c.postal, p.address_postal_code) ELSE c.postal END,
    demographics_source_time = c.newest, updated_at = now()
  FROM chosen c WHERE p.id = ANY (p_ids) AND p.id = c.patient_id;
END
$fn$;
