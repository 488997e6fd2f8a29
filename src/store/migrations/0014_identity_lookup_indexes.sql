-- Two lookups the identity index makes while it resolves and merges records scanned a whole table once the tables had
-- grown (measured with `auto_explain` during a 34,000-message bench drain; bench/RESULTS.md, docs/gateway.md):
--
-- A record's encounters are re-pointed to its new patient by record (a merge, a link, their undoing): there was no
-- index on encounters.record_id, so each re-pointing read every encounter.
CREATE INDEX encounters_record ON encounters (record_id) WHERE record_id IS NOT NULL;

-- Which identifiers of some systems the candidate patients hold (an identifier conflict blocks a match): the primary
-- key leads with the system, so with lagging statistics the planner walked every identifier of that system. With
-- patient and system leading, the probe is exact however stale the estimates are; it also serves every lookup by
-- patient that the narrower index served.
DROP INDEX patient_identifiers_patient;
CREATE INDEX patient_identifiers_patient ON patient_identifiers (patient_id, system, value);
