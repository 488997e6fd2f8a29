-- The identifier index is kept in step with a record's patient by record (projectRecordIdentifiers, and a merge or link
-- moving records): `patient_identifiers` had no index on record_id, so each of those deletes read the whole table, a
-- cost that grows with every patient the index holds.
CREATE INDEX patient_identifiers_record ON patient_identifiers (record_id) WHERE record_id IS NOT NULL;
