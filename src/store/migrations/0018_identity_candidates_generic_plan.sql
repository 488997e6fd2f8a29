-- The identity index's candidate search (src/core/identity/resolve.ts, candidatesOf) as a function that always runs on
-- its cached generic plan.
--
-- Sent as a prepared statement, PostgreSQL planned it anew on most calls (pg_stat_statements in a bench drain: all of
-- them, and still 73% with the arrays' lengths hidden from the planner): its generic plan's estimate, made for arrays
-- of ten, came out above its custom plans' estimates, so it kept choosing custom plans. Planning the statement takes
-- about 275 µs; executing it, on either plan, about 200 µs. Every lookup in it is an index probe the planner cannot
-- turn into a join (a lateral subquery with LIMIT 1 or OFFSET 0), so the generic plan is as good as any custom one; the
-- plan is forced here, for this statement alone, rather than for a whole session.
--
-- Which live patients hold one of the record's identifiers; when none does, the live records sharing a blocking key
-- with it, at most 200, lowest ids first. Each comes with its live patient after merges (`chain` and `live`, the same
-- walk as liveChain in resolve.ts; the hop limit keeps a corrupt cycle from hanging a transaction) and the identifiers
-- that patient holds in the given systems. A change to the search is a new migration that replaces this function.
CREATE FUNCTION identity_candidates(p_systems text[], p_values text[], p_keys text[], p_match_systems text[])
RETURNS TABLE (record_id uuid, demographics jsonb, live_patient_id uuid, held jsonb)
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $fn$
#variable_conflict use_column
BEGIN
  RETURN QUERY
    WITH RECURSIVE
      holders AS (
        SELECT DISTINCT h.patient_id FROM unnest(p_systems, p_values) AS x(system, value)
        CROSS JOIN LATERAL (SELECT i.patient_id FROM patient_identifiers i WHERE i.system = x.system AND i.value = x.value OFFSET 0) h),
      alike AS (
        SELECT r.id, r.patient_id, r.demographics
        FROM (SELECT DISTINCT k.record_id FROM patient_match_keys k WHERE k.key = ANY (p_keys) AND NOT EXISTS (SELECT 1 FROM holders)) c
        CROSS JOIN LATERAL (
          SELECT p.id, p.patient_id, p.demographics FROM patient_records p WHERE p.id = c.record_id AND p.retired_into IS NULL LIMIT 1) r
        ORDER BY r.id
        LIMIT 200),
      chain (start, id, merged_into, hops) AS (
        SELECT p.id, p.id, p.merged_into, 0 FROM (SELECT patient_id FROM holders UNION SELECT patient_id FROM alike) AS s(patient_id)
        CROSS JOIN LATERAL (SELECT n.id, n.merged_into FROM patients n WHERE n.id = s.patient_id LIMIT 1) p
        UNION ALL
        SELECT c.start, p.id, p.merged_into, c.hops + 1 FROM chain c
        CROSS JOIN LATERAL (SELECT n.id, n.merged_into FROM patients n WHERE n.id = c.merged_into LIMIT 1) p WHERE c.hops < 16),
      live AS (SELECT DISTINCT ON (start) start, id FROM chain ORDER BY start, hops DESC)
    SELECT a.record_id, a.demographics, live.id,
      COALESCE((SELECT jsonb_agg(jsonb_build_array(h.system, h.value)) FROM patient_identifiers h
        WHERE h.patient_id = live.id AND h.system = ANY (p_match_systems)), '[]'::jsonb)
    FROM (SELECT NULL::uuid AS record_id, NULL::jsonb AS demographics, patient_id FROM holders
          UNION ALL SELECT id, demographics, patient_id FROM alike) a
    JOIN live ON live.start = a.patient_id
    ORDER BY a.record_id, live.id;
END
$fn$;
