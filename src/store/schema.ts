import type { ColumnType, Generated } from 'kysely';

/** Kysely's view of the tables. The SQL in ./migrations is the truth; this mirrors it for type checking. */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface SchemaMigrationsTable {
  version: number;
  name: string;
  checksum: string;
  destructive: boolean;
  applied_at: Generated<Date>;
}

export interface InstanceTable {
  id: string;
  name: string;
  demo: boolean;
  created_at: Generated<Date>;
}

export interface WorkerHeartbeatsTable {
  worker_id: string;
  role: string;
  hostname: string;
  pid: number;
  started_at: Timestamp;
  last_seen_at: Timestamp;
  stopping: Generated<boolean>;
}

export type JobStatus = 'queued' | 'running' | 'done' | 'dead';

export interface JobsTable {
  id: string;
  queue: string;
  payload: ColumnType<unknown, string, string>;
  status: Generated<JobStatus>;
  attempts: Generated<number>;
  max_attempts: Generated<number>;
  run_at: Generated<Date>;
  locked_by: string | null;
  locked_until: Date | null;
  last_error_code: string | null;
  created_at: Generated<Date>;
  finished_at: Date | null;
}

export interface PatientDataKeysTable {
  patient_id: string;
  kek_id: string;
  wrapped_key: Uint8Array | null;
  created_at: Generated<Date>;
  rewrapped_at: Date | null;
  shredded_at: Date | null;
}

export interface SigningKeysTable {
  key_id: string;
  algorithm: Generated<string>;
  public_key_spki: Uint8Array;
  private_kek_id: string;
  private_key_wrapped: Uint8Array;
  created_at: Generated<Date>;
  retired_at: Date | null;
}

export interface Database {
  vigil_schema_migrations: SchemaMigrationsTable;
  vigil_instance: InstanceTable;
  worker_heartbeats: WorkerHeartbeatsTable;
  jobs: JobsTable;
  patient_data_keys: PatientDataKeysTable;
  signing_keys: SigningKeysTable;
}
