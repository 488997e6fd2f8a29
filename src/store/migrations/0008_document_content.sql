-- Document content (HL7 MDM / ORU ED, FHIR DocumentReference attachments), one row per fact version that carried
-- content. The bytes are sealed with AES-256-GCM under the data key of the patient the document was filed for
-- (patient_data_keys, so erasing that key crypto-shreds them), with associated data that names this row's id: a
-- ciphertext copied to another row or patient does not decrypt. Fact bodies carry only type, size and digest.
-- Written by src/core/clinical/document-content.ts from the fact writer; read by GET /fhir/R4/Binary/{id}.

CREATE TABLE document_contents (
  id               uuid PRIMARY KEY,
  -- Whose data key sealed the bytes. A source merge may move the fact to another patient; the key stays this one's.
  patient_id       uuid NOT NULL REFERENCES patients (id),
  fact_id          uuid NOT NULL REFERENCES clinical_facts (id),
  fact_version_id  uuid NOT NULL UNIQUE REFERENCES clinical_fact_versions (id),
  content_type     text NOT NULL CHECK (length(content_type) BETWEEN 1 AND 255),
  size_bytes       integer NOT NULL CHECK (size_bytes >= 0),
  -- SHA-256 of the plaintext, hex: the fact body's digest, checked again after decryption.
  digest           text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
  ciphertext       bytea NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX document_contents_fact ON document_contents (fact_id);
CREATE INDEX document_contents_patient ON document_contents (patient_id);
