-- ANALYZE, and so autovacuum, spent most of its time on opaque payloads: a jsonb column's statistics sort a sample of
-- whole documents, about three times the cost of the table's other columns together. No query filters or joins on
-- these columns (reads find rows by id, fact, patient or message), so their statistics never informed a plan.
-- clinical_facts.codings keeps its statistics: searches by code filter on it.
ALTER TABLE clinical_fact_versions
  ALTER COLUMN codings SET STATISTICS 0,
  ALTER COLUMN body SET STATISTICS 0,
  ALTER COLUMN provenance SET STATISTICS 0;
ALTER TABLE clinical_facts ALTER COLUMN body SET STATISTICS 0;
ALTER TABLE gateway_message_events ALTER COLUMN detail SET STATISTICS 0;
ALTER TABLE gateway_messages ALTER COLUMN raw SET STATISTICS 0;
ALTER TABLE audit.events ALTER COLUMN details SET STATISTICS 0;
ALTER TABLE patient_records
  ALTER COLUMN demographics SET STATISTICS 0,
  ALTER COLUMN provenance SET STATISTICS 0;
