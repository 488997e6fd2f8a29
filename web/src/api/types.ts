/**
 * Shapes of the API answers the screens read. Where the server exports its own type it is imported for its shape only
 * (erased at build time): a change on the server then breaks this build instead of a screen.
 */
export type { Action } from '../../../src/controls/access/policy.ts';
export type { ReasonCode } from '../../../src/controls/access/pdp.ts';
export type { BreakGlassGrantView as BreakGlassGrant } from '../../../src/controls/access/break-glass.ts';
export type { AccessReport, AccessReportEntry, AuditEventView, AuditPage } from '../../../src/controls/audit/search.ts';
export type { CheckpointView } from '../../../src/controls/audit/proofs.ts';
export type { CareTeam, Coverage, CoverageState, Facility, Organization, Page, Person } from '../../../src/core/directory/index.ts';
export type { InstanceInfo } from '../status/types.ts';

/** GET /auth/me for a person. */
export interface Me {
  kind: 'person';
  id: string;
  username: string;
  displayName: string;
  organizationId: string;
  roles: string[];
  facilities: { id: string; code: string; name: string }[];
  session: { id: string; kind: 'web' | 'api'; mfaAt: string | null; idleTimeoutSeconds: number };
  /** Actions the roles grant somewhere; the server still decides each request (and per patient). */
  permissions: string[];
}

/** POST /auth/login in cookie mode. */
export interface CookieLogin {
  csrf_token: string;
  expires_in: number;
  idle_timeout?: number;
}

/** POST /api/access/check */
export interface AccessCheck {
  action: string;
  permit: boolean;
  reason: string;
  breakGlass: boolean;
  fields: string[];
}

export interface FhirCoding {
  system?: string;
  code?: string;
  display?: string;
}

export interface FhirPatient {
  resourceType: 'Patient';
  id: string;
  meta?: { security?: FhirCoding[] };
  identifier?: { system?: string; value?: string }[];
  name?: { use?: string; family?: string; given?: string[] }[];
  birthDate?: string;
  gender?: string;
  telecom?: { system?: string; value?: string }[];
  address?: { line?: string[]; city?: string; postalCode?: string }[];
  managingOrganization?: { reference?: string };
  extension?: { url: string; valueString?: string; extension?: { url: string; valueString?: string }[] }[];
}

export interface PatientBundle {
  resourceType: 'Bundle';
  total: number;
  entry?: { resource: FhirPatient }[];
}

/** GET /api/break-glass/reasons */
export interface BreakGlassReasons {
  reasons: { code: string; display: string }[];
  maxMinutes: number;
}

/** GET /api/audit/status */
export interface AuditStatus {
  events: number;
  sealed: number;
  pending: number;
  oldestPendingAt: string | null;
  latestCheckpoint: import('../../../src/controls/audit/proofs.ts').CheckpointView | null;
  retentionDays: number;
}

export type { SessionSummary } from '../../../src/controls/access/auth/sessions.ts';

/** GET /api/accounts?username= (support desk): account data only, never clinical data. */
export interface AccountSummary {
  personId: string;
  username: string;
  displayName: string;
  status: 'active' | 'disabled';
  locked: boolean;
  lastLoginAt: string | null;
  roles: string[];
}

/** GET /api/accounts/:personId/sessions: the account's sign-in state and its sessions (never a token or hash). */
export interface AccountState {
  personId: string;
  username: string;
  status: 'active' | 'disabled';
  locked: boolean;
  lockedUntil: string | null;
  consecutiveFailures: number;
  mfaEnrolled: boolean;
  lastLoginAt: string | null;
  sessions: import('../../../src/controls/access/auth/sessions.ts').SessionSummary[];
}

/** POST /api/accounts/:personId/issue-credentials: shown once, held in memory only until the admin closes the panel. */
export interface IssuedCredentials {
  personId: string;
  username: string;
  password: string;
  totpSecret: string;
  otpauthUri: string;
}
