-- Sources whose profile says `medications: active-only` send a patient's whole active list in each medication message:
-- a medication the source listed before and leaves out of a later list has stopped, though no message says so.
-- Each list is kept (its time and the source keys it named), so the inference is the same whatever order the lists
-- and the orders arrive in: a fact is absent from the first list after its current version that does not name it.
CREATE TABLE clinical_medication_lists (
  source_id    uuid NOT NULL REFERENCES gateway_sources (id),
  record_id    uuid NOT NULL REFERENCES patient_records (id),
  listed_at    timestamptz NOT NULL,
  -- Sorted. Two lists of one record at the same source time are read as one: the union of what they name.
  source_keys  text[] NOT NULL,
  -- The inbox message that first stated this list, for the operator who traces an inference back.
  message_id   uuid NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source_id, record_id, listed_at)
);

-- Set when the inference applies: the fact's row then says status `stopped`, derivation `inferred` and a lowered
-- confidence, while its versions keep what the source said.
ALTER TABLE clinical_facts ADD COLUMN absent_since timestamptz;
