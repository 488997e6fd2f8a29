-- The integration gateway (sources, profiles, the inbox with encrypted raw copies and each message's timeline, feed
-- freshness) and the normalized model it feeds (source patient records linked to Vigil patients by the master patient
-- index, clinical facts with every version and its provenance).

-- Sources and their versioned profiles ----------------------------------------------------------------------------

CREATE TABLE gateway_sources (
  id               uuid PRIMARY KEY,
  name             text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9._-]{1,64}$'),
  kind             text NOT NULL CHECK (kind IN ('hl7v2', 'fhir', 'file')),
  -- HL7 sources are recognised by MSH-3 / MSH-4 and, when the list is not empty, by peer address.
  msh3             text,
  msh4             text,
  peer_allowlist   text[] NOT NULL DEFAULT '{}',
  -- FHIR and file sources post as a system client.
  client_id        text,
  profile_version  integer NOT NULL DEFAULT 1,
  enabled          boolean NOT NULL DEFAULT true,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX gateway_sources_hl7_identity ON gateway_sources (msh3, msh4) WHERE kind = 'hl7v2';
CREATE UNIQUE INDEX gateway_sources_client ON gateway_sources (client_id) WHERE client_id IS NOT NULL;

CREATE TABLE gateway_source_profiles (
  source_id   uuid NOT NULL REFERENCES gateway_sources (id),
  version     integer NOT NULL,
  profile     jsonb NOT NULL,
  changed_by  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source_id, version)
);

-- Raw copies are encrypted with a data key per source and month, wrapped by the KEK (shredding one erases that month).
CREATE TABLE gateway_archive_keys (
  id           uuid PRIMARY KEY,
  source_key   text NOT NULL,
  period       text NOT NULL,
  kek_id       text NOT NULL,
  wrapped_key  bytea,
  created_at   timestamptz NOT NULL DEFAULT now(),
  shredded_at  timestamptz,
  UNIQUE (source_key, period)
);

-- The inbox ------------------------------------------------------------------------------------------------------

CREATE TABLE gateway_messages (
  id               uuid PRIMARY KEY,
  -- NULL when the sender is not a registered source: such messages are kept, refused and never processed.
  source_id        uuid REFERENCES gateway_sources (id),
  transport        text NOT NULL CHECK (transport IN ('mllp', 'fhir', 'file', 'operator')),
  peer             text,
  received_at      timestamptz NOT NULL DEFAULT now(),
  message_type     text,
  control_id       text,
  content_hash     bytea NOT NULL,
  size_bytes       integer NOT NULL,
  archive_key_id   uuid NOT NULL REFERENCES gateway_archive_keys (id),
  raw              bytea NOT NULL,
  state            text NOT NULL CHECK (state IN ('received', 'processed', 'parked', 'retrying', 'dead-letter', 'quarantined')),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  reason_code      text,
  reason           text,
  parked_on        text[] NOT NULL DEFAULT '{}',
  parked_until     timestamptz,
  -- An operator's corrected copy points at the message it replaces; the original stays as it was.
  corrects         uuid REFERENCES gateway_messages (id),
  corrected_by     uuid REFERENCES gateway_messages (id),
  profile_version  integer,
  patient_ids      uuid[] NOT NULL DEFAULT '{}',
  processed_at     timestamptz,
  ack_code         text
);
-- Delivered twice (the sender missed our ACK) or replayed by the source: one row, the timeline notes the repeat.
CREATE UNIQUE INDEX gateway_messages_dedupe ON gateway_messages (source_id, control_id, content_hash) WHERE corrects IS NULL;
CREATE INDEX gateway_messages_claimable ON gateway_messages (next_attempt_at) WHERE state IN ('received', 'retrying');
CREATE INDEX gateway_messages_browse ON gateway_messages (received_at DESC, id DESC);
CREATE INDEX gateway_messages_state ON gateway_messages (state, received_at DESC);
CREATE INDEX gateway_messages_source ON gateway_messages (source_id, received_at DESC);
CREATE INDEX gateway_messages_parked ON gateway_messages USING gin (parked_on) WHERE state = 'parked';

CREATE TABLE gateway_message_events (
  id          bigserial PRIMARY KEY,
  message_id  uuid NOT NULL REFERENCES gateway_messages (id),
  at          timestamptz NOT NULL DEFAULT clock_timestamp(),
  step        text NOT NULL,
  detail      jsonb,
  actor       text NOT NULL
);
CREATE INDEX gateway_message_events_message ON gateway_message_events (message_id, id);

-- Freshness per feed: when it last delivered, and whether it is stale now.
CREATE TABLE gateway_feeds (
  source_id        uuid PRIMARY KEY REFERENCES gateway_sources (id),
  last_message_at  timestamptz,
  stale_since      timestamptz,
  alerted_at       timestamptz,
  checked_at       timestamptz
);

-- Identity: each source's account of a person, linked to one Vigil patient ----------------------------------------

ALTER TABLE patients ADD COLUMN merged_into uuid REFERENCES patients (id);
ALTER TABLE patients ADD COLUMN demographics_source_time timestamptz;
ALTER TABLE patient_identifiers ADD COLUMN record_id uuid;

CREATE TABLE patient_records (
  id            uuid PRIMARY KEY,
  source_id     uuid NOT NULL REFERENCES gateway_sources (id),
  -- `system|value` of the identifier the source files this person under.
  record_key    text NOT NULL,
  patient_id    uuid NOT NULL REFERENCES patients (id),
  link_reason   text NOT NULL CHECK (link_reason IN ('new-patient', 'same-identifier', 'probabilistic', 'source-merge', 'person')),
  demographics  jsonb NOT NULL,
  source_time   timestamptz,
  content_hash  text NOT NULL,
  provenance    jsonb NOT NULL,
  -- Set once a registration event (ADT) has described this person: registrations outrank what a lab or pharmacy says
  -- about demographics.
  registering   boolean NOT NULL DEFAULT false,
  -- Set when the source itself merged this record into another (ADT A40); undone by an unmerge.
  retired_into  uuid REFERENCES patient_records (id),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (source_id, record_key)
);
CREATE INDEX patient_records_patient ON patient_records (patient_id);

CREATE TABLE patient_record_identifiers (
  record_id  uuid NOT NULL REFERENCES patient_records (id),
  system     text NOT NULL,
  value      text NOT NULL,
  PRIMARY KEY (system, value, record_id)
);
CREATE INDEX patient_record_identifiers_record ON patient_record_identifiers (record_id);

-- Blocking keys for candidate retrieval by the probabilistic matcher.
CREATE TABLE patient_match_keys (
  key        text NOT NULL,
  record_id  uuid NOT NULL REFERENCES patient_records (id),
  PRIMARY KEY (key, record_id)
);
CREATE INDEX patient_match_keys_record ON patient_match_keys (record_id);

-- Every link decision with its evidence and who or what made it; unmerge replays it backwards.
CREATE TABLE identity_link_events (
  id               bigserial PRIMARY KEY,
  at               timestamptz NOT NULL DEFAULT clock_timestamp(),
  record_id        uuid NOT NULL REFERENCES patient_records (id),
  from_patient_id  uuid REFERENCES patients (id),
  to_patient_id    uuid REFERENCES patients (id),
  decision         text NOT NULL,
  weight           double precision,
  evidence         jsonb,
  actor            text NOT NULL,
  message_id       uuid,
  undoes           bigint REFERENCES identity_link_events (id)
);
CREATE INDEX identity_link_events_record ON identity_link_events (record_id, id);

CREATE TABLE identity_possible_matches (
  id                   uuid PRIMARY KEY,
  record_id             uuid NOT NULL REFERENCES patient_records (id),
  candidate_patient_id  uuid NOT NULL REFERENCES patients (id),
  candidate_record_id   uuid REFERENCES patient_records (id),
  weight               double precision NOT NULL,
  evidence             jsonb NOT NULL,
  state                text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'linked', 'not-a-match')),
  decided_by           text,
  decided_at           timestamptz,
  created_at           timestamptz NOT NULL DEFAULT now(),
  UNIQUE (record_id, candidate_patient_id)
);
CREATE INDEX identity_possible_matches_open ON identity_possible_matches (created_at) WHERE state = 'open';

-- Encounters may now come from a source, versioned by source time like any fact.
ALTER TABLE encounters ALTER COLUMN facility_id DROP NOT NULL;
ALTER TABLE encounters ADD COLUMN source_id uuid REFERENCES gateway_sources (id);
ALTER TABLE encounters ADD COLUMN source_key text;
ALTER TABLE encounters ADD COLUMN record_id uuid REFERENCES patient_records (id);
ALTER TABLE encounters ADD COLUMN source_time timestamptz;
ALTER TABLE encounters ADD COLUMN provenance jsonb;
ALTER TABLE encounters ADD COLUMN location text;
CREATE UNIQUE INDEX encounters_source_key ON encounters (source_id, source_key) WHERE source_id IS NOT NULL;

-- Clinical facts: the current version, and every version with its provenance --------------------------------------

CREATE TABLE clinical_facts (
  id                 uuid PRIMARY KEY,
  kind               text NOT NULL CHECK (kind IN ('observation', 'diagnostic-report', 'medication-request',
                       'medication-administration', 'medication-statement', 'medication-dispense', 'allergy',
                       'condition', 'document')),
  source_id          uuid REFERENCES gateway_sources (id),
  source_key         text NOT NULL,
  record_id          uuid REFERENCES patient_records (id),
  -- The Vigil patient the fact is about now: follows the record's link (re-pointed by merges, restored by unmerge).
  patient_id         uuid NOT NULL REFERENCES patients (id),
  encounter_id       uuid REFERENCES encounters (id),
  -- The visit number the source gave; the link to the encounter is made whenever the registration of that visit is
  -- known, before or after the fact arrives.
  encounter_key      text,
  status             text NOT NULL,
  code_system        text,
  code               text,
  code_display       text,
  codings            jsonb NOT NULL DEFAULT '[]',
  effective_at       timestamptz,
  body               jsonb NOT NULL,
  derivation         text NOT NULL CHECK (derivation IN ('asserted', 'merged', 'inferred', 'entered')),
  confidence         real NOT NULL DEFAULT 1,
  source_time        timestamptz,
  -- The current version is the one with the latest source time (ties broken by content hash), whatever the arrival
  -- order: any permutation of the same messages ends in the same state.
  content_hash       text NOT NULL,
  last_confirmed_at  timestamptz NOT NULL DEFAULT now(),
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  UNIQUE (source_id, kind, source_key)
);
CREATE INDEX clinical_facts_patient ON clinical_facts (patient_id, kind, effective_at DESC);
CREATE INDEX clinical_facts_record ON clinical_facts (record_id);
CREATE INDEX clinical_facts_encounter_key ON clinical_facts (patient_id, encounter_key) WHERE encounter_id IS NULL AND encounter_key IS NOT NULL;

CREATE TABLE clinical_fact_versions (
  id            uuid PRIMARY KEY,
  fact_id       uuid NOT NULL REFERENCES clinical_facts (id),
  status        text NOT NULL,
  codings       jsonb NOT NULL,
  effective_at  timestamptz,
  body          jsonb NOT NULL,
  source_time   timestamptz,
  content_hash  text NOT NULL,
  provenance    jsonb NOT NULL,
  recorded_at   timestamptz NOT NULL DEFAULT now()
);
-- A value that comes back later (A, then B, then A again) is a third version: identity is content and source time.
CREATE UNIQUE INDEX clinical_fact_versions_identity ON clinical_fact_versions (fact_id, content_hash, (COALESCE(source_time, '-infinity'::timestamptz)));
CREATE INDEX clinical_fact_versions_fact ON clinical_fact_versions (fact_id, source_time);
