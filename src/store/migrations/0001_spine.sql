-- The spine: who this instance is, which workers are alive, and the job queue they share.
-- Ids are UUIDs made by the application (v7 where order helps); no global sequences.

CREATE TABLE vigil_instance (
  id          uuid PRIMARY KEY,
  name        text NOT NULL,
  demo        boolean NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE worker_heartbeats (
  worker_id     uuid PRIMARY KEY,
  role          text NOT NULL CHECK (role IN ('all', 'worker')),
  hostname      text NOT NULL,
  pid           integer NOT NULL,
  started_at    timestamptz NOT NULL,
  last_seen_at  timestamptz NOT NULL,
  stopping      boolean NOT NULL DEFAULT false
);

-- Work is claimed with FOR UPDATE SKIP LOCKED and held by a lease (locked_until): a worker that dies mid-job
-- lets its lease run out and another worker takes the job again.
CREATE TABLE jobs (
  id               uuid PRIMARY KEY,
  queue            text NOT NULL,
  payload          jsonb NOT NULL DEFAULT '{}'::jsonb,
  status           text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'dead')),
  attempts         integer NOT NULL DEFAULT 0,
  max_attempts     integer NOT NULL DEFAULT 5 CHECK (max_attempts > 0),
  run_at           timestamptz NOT NULL DEFAULT now(),
  locked_by        uuid,
  locked_until     timestamptz,
  last_error_code  text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz
);

CREATE INDEX jobs_claimable ON jobs (queue, run_at) WHERE status IN ('queued', 'running');
