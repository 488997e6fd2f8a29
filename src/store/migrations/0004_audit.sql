-- The audit trail lives in its own schema, apart from the data it watches and from the application log. Requests
-- insert events; one sealer at a time orders them (seals), chains their hashes, grows a Merkle tree over them and signs
-- checkpoints. Every table below is append-only for the application's role.

CREATE SCHEMA audit;

CREATE TABLE audit.events (
  id               uuid PRIMARY KEY,
  recorded_at      timestamptz NOT NULL,
  action           text NOT NULL,
  action_code      text NOT NULL CHECK (action_code IN ('C', 'R', 'U', 'D', 'E')),
  resource_type    text NOT NULL,
  resource_ids     text[] NOT NULL DEFAULT '{}',
  patient_id       uuid,
  actor_type       text NOT NULL CHECK (actor_type IN ('person', 'client', 'system', 'anonymous')),
  actor_id         text,
  actor_name       text,
  actor_roles      text[] NOT NULL DEFAULT '{}',
  on_behalf_of     text,
  outcome          text NOT NULL CHECK (outcome IN ('success', 'denied', 'error')),
  reason_code      text,
  purpose_of_use   text,
  break_glass      boolean NOT NULL DEFAULT false,
  organization_id  uuid,
  facility_id      uuid,
  session_id       uuid,
  client_ip        text,
  user_agent       text,
  source_system    text,
  request_id       text,
  query            jsonb,
  details          jsonb
);
CREATE INDEX audit_events_recorded ON audit.events (recorded_at, id);
CREATE INDEX audit_events_patient ON audit.events (patient_id, recorded_at);
CREATE INDEX audit_events_actor ON audit.events (actor_id, recorded_at);
CREATE INDEX audit_events_action ON audit.events (action, recorded_at);

-- Events not yet sealed. The only table here rows leave: the sealer removes an event once its seal is written.
CREATE TABLE audit.pending (
  event_id     uuid PRIMARY KEY REFERENCES audit.events (id),
  recorded_at  timestamptz NOT NULL
);
CREATE INDEX audit_pending_order ON audit.pending (recorded_at, event_id);

-- An event's place in the log: seq is gap-free from 0, and one event has exactly one seal.
CREATE TABLE audit.seals (
  seq         bigint PRIMARY KEY CHECK (seq >= 0),
  event_id    uuid NOT NULL UNIQUE REFERENCES audit.events (id),
  leaf_hash   bytea NOT NULL,
  chain_hash  bytea NOT NULL,
  sealed_at   timestamptz NOT NULL DEFAULT now()
);

-- The sealer's state after each batch (Merkle frontier and chain head), so any worker can carry on where another stopped.
CREATE TABLE audit.seal_batches (
  tree_size   bigint PRIMARY KEY CHECK (tree_size > 0),
  frontier    jsonb NOT NULL,
  chain_hash  bytea NOT NULL,
  sealed_at   timestamptz NOT NULL DEFAULT now()
);

-- Signed tree heads: anyone with the public key can check that the log of tree_size events has this root.
CREATE TABLE audit.checkpoints (
  tree_size   bigint PRIMARY KEY CHECK (tree_size > 0),
  root_hash   bytea NOT NULL,
  chain_hash  bytea NOT NULL,
  issued_at   timestamptz NOT NULL,
  key_id      text NOT NULL,
  signature   bytea NOT NULL
);

-- The application connects as a member of vigil_app (see README, "Database roles"); migrations run as the owner.
-- Roles are cluster-wide and a managed server may not let us create one: then the operator creates it.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vigil_app') THEN
    CREATE ROLE vigil_app NOLOGIN;
  END IF;
EXCEPTION
  WHEN duplicate_object OR unique_violation OR insufficient_privilege THEN
    RAISE NOTICE 'role vigil_app not created here';
END
$$;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vigil_app') THEN
    GRANT USAGE ON SCHEMA public TO vigil_app;
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO vigil_app;
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO vigil_app;
    GRANT USAGE ON SCHEMA audit TO vigil_app;
    REVOKE ALL ON ALL TABLES IN SCHEMA audit FROM vigil_app;
    GRANT SELECT, INSERT ON audit.events, audit.seals, audit.seal_batches, audit.checkpoints TO vigil_app;
    GRANT SELECT, INSERT, DELETE ON audit.pending TO vigil_app;
  END IF;
END
$$;
