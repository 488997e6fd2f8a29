-- The directory (who works where, with whom, for which patients), the patients that access is decided over, and
-- the credentials and sessions people and systems sign in with. The normalized-model work grows `patients`.

CREATE TABLE organizations (
  id          uuid PRIMARY KEY,
  name        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE facilities (
  id               uuid PRIMARY KEY,
  organization_id  uuid NOT NULL REFERENCES organizations (id),
  code             text NOT NULL UNIQUE,
  name             text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE departments (
  id           uuid PRIMARY KEY,
  facility_id  uuid NOT NULL REFERENCES facilities (id),
  name         text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);

-- People sign in with a username; the password hash is argon2id and the TOTP secret is wrapped by the KEK.
CREATE TABLE people (
  id                   uuid PRIMARY KEY,
  username             text NOT NULL UNIQUE CHECK (username = lower(username) AND username ~ '^[a-z0-9._-]{2,64}$'),
  display_name         text NOT NULL,
  organization_id      uuid NOT NULL REFERENCES organizations (id),
  status               text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  password_hash        text,
  totp_kek_id          text,
  totp_secret_wrapped  bytea,
  failed_logins        integer NOT NULL DEFAULT 0,
  locked_until         timestamptz,
  last_login_at        timestamptz,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE person_roles (
  person_id  uuid NOT NULL REFERENCES people (id),
  role       text NOT NULL,
  PRIMARY KEY (person_id, role)
);

CREATE TABLE person_facilities (
  person_id    uuid NOT NULL REFERENCES people (id),
  facility_id  uuid NOT NULL REFERENCES facilities (id),
  PRIMARY KEY (person_id, facility_id)
);

CREATE TABLE care_teams (
  id             uuid PRIMARY KEY,
  name           text NOT NULL,
  facility_id    uuid NOT NULL REFERENCES facilities (id),
  department_id  uuid REFERENCES departments (id),
  created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE care_team_members (
  team_id    uuid NOT NULL REFERENCES care_teams (id),
  person_id  uuid NOT NULL REFERENCES people (id),
  PRIMARY KEY (team_id, person_id)
);
CREATE INDEX care_team_members_person ON care_team_members (person_id);

CREATE TABLE patients (
  id                    uuid PRIMARY KEY,
  family_name           text,
  given_names           text,
  birth_date            date,
  sex                   text CHECK (sex IN ('female', 'male', 'other', 'unknown')),
  phone                 text,
  address_line          text,
  address_city          text,
  address_postal_code   text,
  payer_name            text,
  payer_member_id       text,
  security_labels       text[] NOT NULL DEFAULT '{}',
  managing_facility_id  uuid REFERENCES facilities (id),
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX patients_family_name ON patients (lower(family_name));

CREATE TABLE patient_identifiers (
  patient_id  uuid NOT NULL REFERENCES patients (id),
  system      text NOT NULL,
  value       text NOT NULL,
  PRIMARY KEY (system, value, patient_id)
);
CREATE INDEX patient_identifiers_patient ON patient_identifiers (patient_id);

-- A patient is in a person's care through a team or directly, for a period.
CREATE TABLE patient_assignments (
  id          uuid PRIMARY KEY,
  patient_id  uuid NOT NULL REFERENCES patients (id),
  team_id     uuid REFERENCES care_teams (id),
  person_id   uuid REFERENCES people (id),
  starts_at   timestamptz NOT NULL DEFAULT now(),
  ends_at     timestamptz,
  CHECK ((team_id IS NULL) <> (person_id IS NULL)),
  CHECK (ends_at IS NULL OR ends_at > starts_at)
);
CREATE INDEX patient_assignments_patient ON patient_assignments (patient_id);
CREATE INDEX patient_assignments_team ON patient_assignments (team_id);
CREATE INDEX patient_assignments_person ON patient_assignments (person_id);

-- The covering person acts for the covered person's patients inside the window, and not a moment after.
CREATE TABLE coverage (
  id                  uuid PRIMARY KEY,
  covering_person_id  uuid NOT NULL REFERENCES people (id),
  covered_person_id   uuid NOT NULL REFERENCES people (id),
  starts_at           timestamptz NOT NULL,
  ends_at             timestamptz NOT NULL,
  created_at          timestamptz NOT NULL DEFAULT now(),
  CHECK (ends_at > starts_at),
  CHECK (covering_person_id <> covered_person_id)
);
CREATE INDEX coverage_covering ON coverage (covering_person_id);

CREATE TABLE encounters (
  id           uuid PRIMARY KEY,
  patient_id   uuid NOT NULL REFERENCES patients (id),
  facility_id  uuid NOT NULL REFERENCES facilities (id),
  status       text NOT NULL CHECK (status IN ('planned', 'active', 'finished', 'cancelled')),
  class        text NOT NULL DEFAULT 'inpatient',
  starts_at    timestamptz,
  ends_at      timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX encounters_patient ON encounters (patient_id);

-- Sign-in sessions. Access tokens name their session; a revoked or idle session stops every token at once.
CREATE TABLE sessions (
  id                   uuid PRIMARY KEY,
  person_id            uuid NOT NULL REFERENCES people (id),
  kind                 text NOT NULL CHECK (kind IN ('web', 'api')),
  created_at           timestamptz NOT NULL DEFAULT now(),
  last_seen_at         timestamptz NOT NULL DEFAULT now(),
  absolute_expires_at  timestamptz NOT NULL,
  mfa_at               timestamptz,
  csrf_token_hash      text,
  -- Web sessions only: the browser holds the cookie token, the database only its hash (a leaked table opens nothing).
  cookie_token_hash    text UNIQUE,
  client_ip            text,
  user_agent           text,
  revoked_at           timestamptz,
  revoked_reason       text
);
CREATE INDEX sessions_person ON sessions (person_id);

-- Refresh tokens are stored hashed and used once; a second use of one revokes the whole session (theft).
CREATE TABLE refresh_tokens (
  token_hash   text PRIMARY KEY,
  session_id   uuid NOT NULL REFERENCES sessions (id),
  issued_at    timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  used_at      timestamptz
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

-- A TOTP code is good once: the time steps already used are remembered until they could no longer be valid.
CREATE TABLE used_totp_steps (
  person_id  uuid NOT NULL REFERENCES people (id),
  step       bigint NOT NULL,
  used_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (person_id, step)
);

-- Systems (EHRs, labs, vendors) sign in as clients with a signed JWT assertion, never as people.
CREATE TABLE system_clients (
  id           text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
  name         text NOT NULL,
  scopes       text[] NOT NULL DEFAULT '{}',
  status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
  created_at   timestamptz NOT NULL DEFAULT now(),
  revoked_at   timestamptz
);

CREATE TABLE system_client_keys (
  kid          text PRIMARY KEY,
  client_id    text NOT NULL REFERENCES system_clients (id),
  public_jwk   jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  revoked_at   timestamptz
);
CREATE INDEX system_client_keys_client ON system_client_keys (client_id);

-- Assertion ids seen, so a captured assertion cannot be replayed while it is still within its lifetime.
CREATE TABLE client_assertion_jtis (
  client_id   text NOT NULL,
  jti         text NOT NULL,
  expires_at  timestamptz NOT NULL,
  PRIMARY KEY (client_id, jti)
);

-- Emergency access outside the care team: one person, one patient, a reason, a deadline, and a privacy review.
CREATE TABLE break_glass_grants (
  id              uuid PRIMARY KEY,
  person_id       uuid NOT NULL REFERENCES people (id),
  patient_id      uuid NOT NULL REFERENCES patients (id),
  session_id      uuid REFERENCES sessions (id),
  reason_code     text NOT NULL,
  reason_text     text NOT NULL,
  started_at      timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz NOT NULL,
  ended_at        timestamptz,
  review_status   text NOT NULL DEFAULT 'pending' CHECK (review_status IN ('pending', 'reviewed')),
  review_outcome  text CHECK (review_outcome IN ('appropriate', 'inappropriate', 'needs-follow-up')),
  review_note     text,
  reviewer_id     uuid REFERENCES people (id),
  reviewed_at     timestamptz,
  CHECK (expires_at > started_at),
  CHECK ((review_status = 'reviewed') = (review_outcome IS NOT NULL))
);
CREATE INDEX break_glass_grants_person_patient ON break_glass_grants (person_id, patient_id);
CREATE INDEX break_glass_grants_review ON break_glass_grants (review_status, started_at);

-- Access tokens are signed by their own key, apart from the audit keys, so either can rotate alone.
ALTER TABLE signing_keys ADD COLUMN purpose text NOT NULL DEFAULT 'audit' CHECK (purpose IN ('audit', 'token'));
DROP INDEX signing_keys_one_active;
CREATE UNIQUE INDEX signing_keys_one_active_per_purpose ON signing_keys (purpose) WHERE retired_at IS NULL;
