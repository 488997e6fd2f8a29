-- When a source merged a record into another (the merge message's source time): from then on the survivor's
-- active medication lists speak for the retired record's orders too (src/core/clinical/active-medication-list.ts).
-- Unknown (NULL) for merges stated without a time, and for those recorded before this column.
ALTER TABLE patient_records ADD COLUMN retired_at timestamptz;
-- The records merged into one, found from the survivor without reading the table (merges are few).
CREATE INDEX patient_records_retired_into ON patient_records (retired_into) WHERE retired_into IS NOT NULL;
