-- The chart reads a page of each section instead of every fact, so what it used to compute per fact with three
-- subqueries over the versions (how many, the newest arrival, which one is current) is kept on the fact row by the
-- writer (src/core/clinical/fact-writer.ts), and the pages are served by indexes in the order they are read.

ALTER TABLE clinical_facts ADD COLUMN version_count integer NOT NULL DEFAULT 0;
-- When the newest version was recorded: the resource's meta.lastUpdated.
ALTER TABLE clinical_facts ADD COLUMN last_version_at timestamptz;
-- The version whose content is current (its provenance is the fact's). No foreign key: the writer sets it in the
-- statement that also inserts that version, before the version row exists.
ALTER TABLE clinical_facts ADD COLUMN current_version_id uuid;

UPDATE clinical_facts f SET version_count = v.n, last_version_at = v.newest
FROM (SELECT fact_id, count(*)::int AS n, max(recorded_at) AS newest FROM clinical_fact_versions GROUP BY fact_id) v
WHERE v.fact_id = f.id;

-- Several versions can carry the current content (A, then B, then A again): the latest of them is current.
UPDATE clinical_facts f SET current_version_id = (
  SELECT v.id FROM clinical_fact_versions v WHERE v.fact_id = f.id AND v.content_hash = f.content_hash
  ORDER BY COALESCE(v.source_time, '-infinity'::timestamptz) DESC, v.id DESC LIMIT 1);

-- Newest first within one patient and kind, facts without a clinical time last: the chart's sections, the FHIR
-- searches of one patient and Patient/$everything page by this key, never by offset. Status is carried so that the
-- result visibility and the counts are answered from the index.
DROP INDEX clinical_facts_patient;
CREATE INDEX clinical_facts_patient_newest ON clinical_facts
  (patient_id, kind, (COALESCE(effective_at, '-infinity'::timestamptz)) DESC, id DESC) INCLUDE (status);

-- An observation names its report by the report's source key (src/core/clinical/fact-links.ts). The chart lists the
-- observations outside any report the reader may see: an anti-join of the patient's observations with their reports,
-- answered from these two indexes alone (status is carried for the result visibility), not from the rows.
ALTER TABLE clinical_facts ADD COLUMN report_key text
  GENERATED ALWAYS AS (CASE WHEN kind = 'observation' THEN body->>'reportKey' END) STORED;
CREATE INDEX clinical_facts_observation_report ON clinical_facts (patient_id, source_id, report_key) INCLUDE (status, id)
  WHERE kind = 'observation';
CREATE INDEX clinical_facts_report ON clinical_facts (patient_id, source_id, source_key) INCLUDE (status)
  WHERE kind = 'diagnostic-report';

CREATE INDEX encounters_patient_newest ON encounters
  (patient_id, (COALESCE(starts_at, '-infinity'::timestamptz)) DESC, id DESC);
