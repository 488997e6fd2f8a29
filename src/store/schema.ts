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

export interface SigningKeysPurpose {
  purpose: Generated<'audit' | 'token'>;
}

export interface OrganizationsTable {
  id: string;
  name: string;
  created_at: Generated<Date>;
}

export interface FacilitiesTable {
  id: string;
  organization_id: string;
  code: string;
  name: string;
  created_at: Generated<Date>;
}

export interface DepartmentsTable {
  id: string;
  facility_id: string;
  name: string;
  created_at: Generated<Date>;
}

export interface PeopleTable {
  id: string;
  username: string;
  display_name: string;
  organization_id: string;
  status: Generated<'active' | 'disabled'>;
  password_hash: string | null;
  totp_kek_id: string | null;
  totp_secret_wrapped: Uint8Array | null;
  failed_logins: Generated<number>;
  locked_until: Timestamp | null;
  last_login_at: Timestamp | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface PersonRolesTable {
  person_id: string;
  role: string;
}

export interface PersonFacilitiesTable {
  person_id: string;
  facility_id: string;
}

export interface CareTeamsTable {
  id: string;
  name: string;
  facility_id: string;
  department_id: string | null;
  created_at: Generated<Date>;
}

export interface CareTeamMembersTable {
  team_id: string;
  person_id: string;
}

export interface PatientsTable {
  id: string;
  family_name: string | null;
  given_names: string | null;
  birth_date: string | null;
  sex: 'female' | 'male' | 'other' | 'unknown' | null;
  phone: string | null;
  address_line: string | null;
  address_city: string | null;
  address_postal_code: string | null;
  payer_name: string | null;
  payer_member_id: string | null;
  security_labels: Generated<string[]>;
  managing_facility_id: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface PatientIdentifiersTable {
  patient_id: string;
  system: string;
  value: string;
}

export interface PatientAssignmentsTable {
  id: string;
  patient_id: string;
  team_id: string | null;
  person_id: string | null;
  starts_at: Generated<Date>;
  ends_at: Timestamp | null;
}

export interface CoverageTable {
  id: string;
  covering_person_id: string;
  covered_person_id: string;
  starts_at: Timestamp;
  ends_at: Timestamp;
  created_at: Generated<Date>;
}

export type EncounterStatus = 'planned' | 'active' | 'finished' | 'cancelled';

export interface EncountersTable {
  id: string;
  patient_id: string;
  facility_id: string;
  status: EncounterStatus;
  class: Generated<string>;
  starts_at: Timestamp | null;
  ends_at: Timestamp | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface SessionsTable {
  id: string;
  person_id: string;
  kind: 'web' | 'api';
  created_at: Generated<Date>;
  last_seen_at: Generated<Date>;
  absolute_expires_at: Timestamp;
  mfa_at: Timestamp | null;
  csrf_token_hash: string | null;
  cookie_token_hash: string | null;
  client_ip: string | null;
  user_agent: string | null;
  revoked_at: Timestamp | null;
  revoked_reason: string | null;
}

export interface RefreshTokensTable {
  token_hash: string;
  session_id: string;
  issued_at: Generated<Date>;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}

export interface UsedTotpStepsTable {
  person_id: string;
  step: ColumnType<string, string | number, string | number>;
  used_at: Generated<Date>;
}

export interface SystemClientsTable {
  id: string;
  name: string;
  scopes: Generated<string[]>;
  status: Generated<'active' | 'revoked'>;
  created_at: Generated<Date>;
  revoked_at: Timestamp | null;
}

export interface SystemClientKeysTable {
  kid: string;
  client_id: string;
  public_jwk: ColumnType<Record<string, unknown>, string, string>;
  created_at: Generated<Date>;
  expires_at: Timestamp;
  revoked_at: Timestamp | null;
}

export interface ClientAssertionJtisTable {
  client_id: string;
  jti: string;
  expires_at: Timestamp;
}

export interface BreakGlassGrantsTable {
  id: string;
  person_id: string;
  patient_id: string;
  session_id: string | null;
  reason_code: string;
  reason_text: string;
  started_at: Generated<Date>;
  expires_at: Timestamp;
  ended_at: Timestamp | null;
  review_status: Generated<'pending' | 'reviewed'>;
  review_outcome: 'appropriate' | 'inappropriate' | 'needs-follow-up' | null;
  review_note: string | null;
  reviewer_id: string | null;
  reviewed_at: Timestamp | null;
}

type Json = ColumnType<unknown, string | null, string | null>;

export interface AuditEventsTable {
  id: string;
  recorded_at: Timestamp;
  action: string;
  action_code: 'C' | 'R' | 'U' | 'D' | 'E';
  resource_type: string;
  resource_ids: string[];
  patient_id: string | null;
  actor_type: 'person' | 'client' | 'system' | 'anonymous';
  actor_id: string | null;
  actor_name: string | null;
  actor_roles: string[];
  on_behalf_of: string | null;
  outcome: 'success' | 'denied' | 'error';
  reason_code: string | null;
  purpose_of_use: string | null;
  break_glass: boolean;
  organization_id: string | null;
  facility_id: string | null;
  session_id: string | null;
  client_ip: string | null;
  user_agent: string | null;
  source_system: string | null;
  request_id: string | null;
  query: Json;
  details: Json;
}

export interface AuditPendingTable {
  event_id: string;
  recorded_at: Timestamp;
}

export interface AuditSealsTable {
  seq: ColumnType<string, string | number, never>;
  event_id: string;
  leaf_hash: Uint8Array;
  chain_hash: Uint8Array;
  sealed_at: Generated<Date>;
}

export interface AuditSealBatchesTable {
  tree_size: ColumnType<string, string | number, never>;
  frontier: ColumnType<unknown, string, never>;
  chain_hash: Uint8Array;
  sealed_at: Generated<Date>;
}

export interface AuditCheckpointsTable {
  tree_size: ColumnType<string, string | number, never>;
  root_hash: Uint8Array;
  chain_hash: Uint8Array;
  issued_at: Timestamp;
  key_id: string;
  signature: Uint8Array;
}

export interface Database {
  vigil_schema_migrations: SchemaMigrationsTable;
  vigil_instance: InstanceTable;
  worker_heartbeats: WorkerHeartbeatsTable;
  jobs: JobsTable;
  patient_data_keys: PatientDataKeysTable;
  signing_keys: SigningKeysTable & SigningKeysPurpose;
  organizations: OrganizationsTable;
  facilities: FacilitiesTable;
  departments: DepartmentsTable;
  people: PeopleTable;
  person_roles: PersonRolesTable;
  person_facilities: PersonFacilitiesTable;
  care_teams: CareTeamsTable;
  care_team_members: CareTeamMembersTable;
  patients: PatientsTable;
  patient_identifiers: PatientIdentifiersTable;
  patient_assignments: PatientAssignmentsTable;
  coverage: CoverageTable;
  encounters: EncountersTable;
  sessions: SessionsTable;
  refresh_tokens: RefreshTokensTable;
  used_totp_steps: UsedTotpStepsTable;
  system_clients: SystemClientsTable;
  system_client_keys: SystemClientKeysTable;
  client_assertion_jtis: ClientAssertionJtisTable;
  break_glass_grants: BreakGlassGrantsTable;
  'audit.events': AuditEventsTable;
  'audit.pending': AuditPendingTable;
  'audit.seals': AuditSealsTable;
  'audit.seal_batches': AuditSealBatchesTable;
  'audit.checkpoints': AuditCheckpointsTable;
}
