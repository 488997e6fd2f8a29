-- Keys behind envelope encryption and audit signatures. Key material is stored only wrapped by a key-encryption key
-- that lives outside the database (VIGIL_KEK_FILE or a KMS).

-- One data key per patient, so one patient's encrypted data (raw messages, archives, exports) can be crypto-shredded
-- by forgetting this row's key, including copies in backups that cannot be edited.
CREATE TABLE patient_data_keys (
  patient_id    uuid PRIMARY KEY,
  kek_id        text NOT NULL,
  wrapped_key   bytea,
  created_at    timestamptz NOT NULL DEFAULT now(),
  rewrapped_at  timestamptz,
  shredded_at   timestamptz,
  CHECK ((wrapped_key IS NULL) = (shredded_at IS NOT NULL))
);

-- Ed25519 keys that sign audit checkpoints. A rotated key is retired, never deleted: old checkpoints stay verifiable.
CREATE TABLE signing_keys (
  key_id               text PRIMARY KEY,
  algorithm            text NOT NULL DEFAULT 'Ed25519' CHECK (algorithm = 'Ed25519'),
  public_key_spki      bytea NOT NULL,
  private_kek_id       text NOT NULL,
  private_key_wrapped  bytea NOT NULL,
  created_at           timestamptz NOT NULL DEFAULT now(),
  retired_at           timestamptz
);

CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys ((true)) WHERE retired_at IS NULL;
