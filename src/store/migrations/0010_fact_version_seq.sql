-- A version's number is its place in arrival order within its fact, given once and never changed: the FHIR
-- meta.versionId and `_history/{n}` of that version. The order in which versions rank (source time) decides which one
-- is current, not what each is called, so a version that arrives late with an older source time gets the next
-- number and moves no other.
ALTER TABLE clinical_fact_versions ADD COLUMN seq integer;
UPDATE clinical_fact_versions v SET seq = n.seq
FROM (SELECT id, (row_number() OVER (PARTITION BY fact_id ORDER BY recorded_at, id))::int AS seq FROM clinical_fact_versions) n
WHERE n.id = v.id;
ALTER TABLE clinical_fact_versions ALTER COLUMN seq SET NOT NULL;
CREATE UNIQUE INDEX clinical_fact_versions_seq ON clinical_fact_versions (fact_id, seq);
