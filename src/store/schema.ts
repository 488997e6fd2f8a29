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
  merged_into: Generated<string | null>;
  demographics_source_time: Generated<Timestamp | null>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface PatientIdentifiersTable {
  patient_id: string;
  system: string;
  value: string;
  /** The source patient record that brought the identifier; NULL when entered in the directory. */
  record_id: Generated<string | null>;
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
  facility_id: string | null;
  status: EncounterStatus;
  class: Generated<string>;
  starts_at: Timestamp | null;
  ends_at: Timestamp | null;
  source_id: Generated<string | null>;
  source_key: Generated<string | null>;
  record_id: Generated<string | null>;
  source_time: Generated<Timestamp | null>;
  provenance: Generated<JsonColumn | null>;
  location: Generated<string | null>;
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

/** jsonb written as JSON text, read back parsed. */
type JsonColumn = ColumnType<unknown, string, string>;

export interface GatewaySourcesTable {
  id: string;
  name: string;
  kind: 'hl7v2' | 'fhir' | 'file';
  msh3: string | null;
  msh4: string | null;
  peer_allowlist: Generated<string[]>;
  client_id: string | null;
  profile_version: Generated<number>;
  enabled: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface GatewaySourceProfilesTable {
  source_id: string;
  version: number;
  profile: JsonColumn;
  changed_by: string;
  created_at: Generated<Date>;
}

export interface GatewayArchiveKeysTable {
  id: string;
  source_key: string;
  period: string;
  kek_id: string;
  wrapped_key: Buffer | null;
  created_at: Generated<Date>;
  shredded_at: Timestamp | null;
}

export type GatewayMessageState = 'received' | 'processed' | 'parked' | 'retrying' | 'dead-letter' | 'quarantined';
export type GatewayTransport = 'mllp' | 'fhir' | 'file' | 'operator';

export interface GatewayMessagesTable {
  id: string;
  source_id: string | null;
  transport: GatewayTransport;
  peer: string | null;
  received_at: Generated<Date>;
  message_type: string | null;
  control_id: string | null;
  content_hash: Buffer;
  size_bytes: number;
  archive_key_id: string;
  raw: Buffer;
  state: GatewayMessageState;
  attempts: Generated<number>;
  next_attempt_at: Generated<Timestamp>;
  reason_code: string | null;
  reason: string | null;
  parked_on: Generated<string[]>;
  parked_until: Timestamp | null;
  corrects: string | null;
  corrected_by: Generated<string | null>;
  profile_version: number | null;
  patient_ids: Generated<string[]>;
  processed_at: Timestamp | null;
  ack_code: string | null;
}

export interface GatewayMessageEventsTable {
  id: Generated<string>;
  message_id: string;
  at: Generated<Date>;
  step: string;
  detail: JsonColumn | null;
  actor: string;
}

export interface GatewayFeedsTable {
  source_id: string;
  last_message_at: Timestamp | null;
  stale_since: Timestamp | null;
  alerted_at: Timestamp | null;
  checked_at: Timestamp | null;
}

export interface GatewayAppAcksTable {
  message_id: string;
  source_id: string;
  ack_code: 'AA' | 'AE' | 'AR';
  ack_text: string | null;
  state: 'pending' | 'sent' | 'failed' | 'not-wanted';
  attempts: Generated<number>;
  next_attempt_at: Generated<Date>;
  last_error: string | null;
  created_at: Generated<Date>;
  sent_at: Timestamp | null;
  /** Raised each time the row is queued afresh with a new code (a message worked again that ended otherwise). */
  generation: Generated<number>;
}

export type LinkReason = 'new-patient' | 'same-identifier' | 'probabilistic' | 'source-merge' | 'person';

export interface PatientRecordsTable {
  id: string;
  source_id: string;
  record_key: string;
  patient_id: string;
  link_reason: LinkReason;
  demographics: JsonColumn;
  source_time: Timestamp | null;
  content_hash: string;
  provenance: JsonColumn;
  registering: Generated<boolean>;
  retired_into: string | null;
  /** When the source merged this record into `retired_into` (the merge's source time); null when it did not say. */
  retired_at: Timestamp | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface PatientRecordIdentifiersTable {
  record_id: string;
  system: string;
  value: string;
}

export interface PatientMatchKeysTable {
  key: string;
  record_id: string;
}

export interface IdentityLinkEventsTable {
  id: Generated<string>;
  at: Generated<Date>;
  record_id: string;
  from_patient_id: string | null;
  to_patient_id: string | null;
  decision: string;
  weight: number | null;
  evidence: JsonColumn | null;
  actor: string;
  message_id: string | null;
  undoes: string | null;
}

export interface IdentityPossibleMatchesTable {
  id: string;
  record_id: string;
  candidate_patient_id: string;
  candidate_record_id: string | null;
  weight: number;
  evidence: JsonColumn;
  state: Generated<'open' | 'linked' | 'not-a-match'>;
  decided_by: string | null;
  decided_at: Timestamp | null;
  created_at: Generated<Date>;
}

export interface ClinicalFactsTable {
  id: string;
  kind: string;
  source_id: string | null;
  source_key: string;
  record_id: string | null;
  patient_id: string;
  encounter_id: string | null;
  encounter_key: Generated<string | null>;
  status: string;
  code_system: string | null;
  code: string | null;
  code_display: string | null;
  codings: JsonColumn;
  effective_at: Timestamp | null;
  body: JsonColumn;
  derivation: 'asserted' | 'merged' | 'inferred' | 'entered';
  confidence: number;
  source_time: Timestamp | null;
  content_hash: string;
  last_confirmed_at: Generated<Timestamp>;
  created_at: Generated<Date>;
  updated_at: Generated<Timestamp>;
  /** Kept by the fact writer (migration 0007): how many versions, when the newest arrived, which one is current. */
  version_count: Generated<number>;
  last_version_at: Timestamp | null;
  current_version_id: string | null;
  /** Observations: body.reportKey, the source key of their report (generated, migration 0007). */
  report_key: Generated<string | null>;
  /** Medications of an active-only source: the time of the first list that left this one out (migration 0013). */
  absent_since: Generated<Timestamp | null>;
  /** Labels the source put on this fact, closing it to readers whose roles open none of them (migration 0017). */
  security_labels: Generated<string[]>;
}

export interface ClinicalMedicationListsTable {
  source_id: string;
  record_id: string;
  listed_at: Timestamp;
  source_keys: string[];
  message_id: string;
  created_at: Generated<Date>;
}

export interface ClinicalFactVersionsTable {
  id: string;
  fact_id: string;
  status: string;
  codings: JsonColumn;
  effective_at: Timestamp | null;
  body: JsonColumn;
  source_time: Timestamp | null;
  content_hash: string;
  provenance: JsonColumn;
  recorded_at: Generated<Date>;
  /** Arrival number within the fact (migration 0010): the FHIR versionId of this version. */
  seq: number;
  /** The labels its source gave this version (migration 0019); history shows it only to readers who open them. */
  security_labels: Generated<string[]>;
}

/** Migration 0008: document content per fact version, sealed under the patient's data key (core/clinical/document-content.ts). */
export interface DocumentContentsTable {
  id: string;
  patient_id: string;
  fact_id: string;
  fact_version_id: string;
  content_type: string;
  size_bytes: number;
  digest: string;
  ciphertext: Buffer;
  created_at: Generated<Date>;
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
  gateway_sources: GatewaySourcesTable;
  gateway_source_profiles: GatewaySourceProfilesTable;
  gateway_archive_keys: GatewayArchiveKeysTable;
  gateway_messages: GatewayMessagesTable;
  gateway_message_events: GatewayMessageEventsTable;
  gateway_feeds: GatewayFeedsTable;
  gateway_app_acks: GatewayAppAcksTable;
  patient_records: PatientRecordsTable;
  patient_record_identifiers: PatientRecordIdentifiersTable;
  patient_match_keys: PatientMatchKeysTable;
  identity_link_events: IdentityLinkEventsTable;
  identity_possible_matches: IdentityPossibleMatchesTable;
  clinical_facts: ClinicalFactsTable;
  clinical_fact_versions: ClinicalFactVersionsTable;
  clinical_medication_lists: ClinicalMedicationListsTable;
  document_contents: DocumentContentsTable;
  'audit.events': AuditEventsTable;
  'audit.pending': AuditPendingTable;
  'audit.seals': AuditSealsTable;
  'audit.seal_batches': AuditSealBatchesTable;
  'audit.checkpoints': AuditCheckpointsTable;
}
