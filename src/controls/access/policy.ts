/**
 * THE ACCESS POLICY. Roles are permission sets on concrete actions; attributes (care relation, facility, coverage
 * window, active encounter, security labels, break-glass) are applied by the policy decision point (pdp.ts).
 * Changing this file changes who may see what: it is reviewed like code, and the authorization matrix
 * (test/access/authorization-matrix.json) must be updated in the same change or the matrix test fails.
 */
import { ACT_CODE_SYSTEM, CLOSING_CONFIDENTIALITY, CONFIDENTIALITY_SYSTEM } from '../../model/clinical.ts';

export const ROLES = [
  'physician',
  'nurse',
  'covering-clinician',
  'billing-specialist',
  'support-staff',
  'integration-operator',
  'privacy-officer',
  'security-admin',
  'behavioral-health',
] as const;
export type Role = (typeof ROLES)[number];

/** Roles whose holders must present a second factor at every sign-in. */
export const MFA_REQUIRED_ROLES: readonly Role[] = ['security-admin', 'privacy-officer', 'integration-operator'];

/** Accounts whose unlock or second-factor reset only a security admin may do (support staff may not). */
export const PRIVILEGED_ROLES: readonly Role[] = MFA_REQUIRED_ROLES;

export interface ActionSpec {
  /** The action concerns one patient's data: the PDP needs the patient's relation to the subject. */
  patientScoped: boolean;
  /** Reveals clinical content, so security labels on the patient apply. */
  clinical: boolean;
  /** Changes data; with `encounter`, only while the patient has an active encounter at the subject's facility. */
  write: boolean;
  encounter?: boolean;
}

const clinicalRead: ActionSpec = { patientScoped: true, clinical: true, write: false };
const clinicalWrite: ActionSpec = { patientScoped: true, clinical: true, write: true, encounter: true };
const admin: ActionSpec = { patientScoped: false, clinical: false, write: false };
const adminWrite: ActionSpec = { patientScoped: false, clinical: false, write: true };

export const ACTIONS = {
  // Patients: identity and demographics (minimum necessary decides which fields, see PATIENT_FIELDS_BY_ROLE).
  'patient.read': { patientScoped: true, clinical: false, write: false },
  'patient.search': { patientScoped: true, clinical: false, write: false },
  'chart.read': clinicalRead,
  // Medications, per workflow step.
  'medication.draft': clinicalWrite,
  'medication.review': clinicalWrite,
  'medication.sign': clinicalWrite,
  'medication.revoke': clinicalWrite,
  'medication.resend': clinicalWrite,
  // Results by status: a preliminary result is a different disclosure from a final one.
  'result.view-preliminary': clinicalRead,
  'result.view-final': clinicalRead,
  'result.view-corrected': clinicalRead,
  // Notes.
  'note.read': clinicalRead,
  'note.edit': clinicalWrite,
  'note.co-sign': clinicalWrite,
  'note.lock': { patientScoped: true, clinical: true, write: true },
  'note.reopen': { patientScoped: true, clinical: true, write: true },
  // Leaving the building.
  'patient.export': { patientScoped: true, clinical: true, write: false },
  'patient.disclose': { patientScoped: true, clinical: true, write: false },
  // Emergency access outside the care relation (needs the second factor and a reason).
  'break-glass': { patientScoped: true, clinical: false, write: true },
  // The caller's own account.
  'self.read': admin,
  // Support: accounts and sessions, never clinical data.
  'account.read': admin,
  'account.unlock': adminWrite,
  'account.reset-mfa': adminWrite,
  'account.revoke-sessions': adminWrite,
  'account.issue-credentials': adminWrite,
  // Security administration.
  'directory.read': admin,
  'directory.write': adminWrite,
  'client.manage': adminWrite,
  'keys.manage': adminWrite,
  // Privacy and compliance.
  'audit.read': admin,
  'audit.export': admin,
  'audit.verify': admin,
  'break-glass.review': adminWrite,
  // Integration operations.
  'feed.read': admin,
  'message.read': admin,
  'message.replay': adminWrite,
  'message.reprocess': adminWrite,
  // Showing a raw message's content (PHI) to an operator: needs a stated reason, and is audited with it.
  'message.reveal': adminWrite,
  'source.manage': adminWrite,
  // Deciding whether two patient records are one person (the possible-match queue): shows both sides' demographics.
  'identity.review': adminWrite,
  // A sending system (a FHIR source's system client) delivering messages to the gateway.
  'message.submit': adminWrite,
} as const satisfies Record<string, ActionSpec>;
export type Action = keyof typeof ACTIONS;

export function isAction(value: string): value is Action {
  return Object.hasOwn(ACTIONS, value);
}

/**
 * How far a role's patient-scoped permission reaches:
 * - care: patients of the person's care teams, direct assignments, or of a colleague they cover (inside the window),
 *   at one of the person's facilities;
 * - coverage: only patients of a colleague they cover, inside the window, at their facility;
 * - facility: any patient managed at, or with an active encounter at, one of the person's facilities;
 * - organization: any patient of the organization (compliance work).
 */
export type Reach = 'care' | 'coverage' | 'facility' | 'organization';

export interface Grant {
  actions: readonly Action[];
  reach?: Reach;
}

const RESULTS: Action[] = ['result.view-preliminary', 'result.view-final', 'result.view-corrected'];
const MEDICATIONS: Action[] = ['medication.draft', 'medication.review', 'medication.sign', 'medication.revoke', 'medication.resend'];

export const ROLE_GRANTS: Record<Role, readonly Grant[]> = {
  physician: [
    { reach: 'care', actions: ['patient.read', 'patient.search', 'chart.read', ...MEDICATIONS, ...RESULTS, 'note.read', 'note.edit', 'note.co-sign', 'note.lock', 'note.reopen', 'patient.disclose'] },
    { actions: ['break-glass', 'self.read'] },
  ],
  nurse: [
    { reach: 'care', actions: ['patient.read', 'patient.search', 'chart.read', 'medication.draft', 'medication.review', 'result.view-final', 'result.view-corrected', 'note.read', 'note.edit'] },
    { actions: ['break-glass', 'self.read'] },
  ],
  'covering-clinician': [
    { reach: 'coverage', actions: ['patient.read', 'patient.search', 'chart.read', 'medication.draft', 'medication.review', 'medication.sign', ...RESULTS, 'note.read', 'note.edit'] },
    { actions: ['break-glass', 'self.read'] },
  ],
  'billing-specialist': [{ reach: 'facility', actions: ['patient.read', 'patient.search'] }, { actions: ['self.read'] }],
  'support-staff': [{ actions: ['self.read', 'account.read', 'account.unlock', 'account.reset-mfa', 'account.revoke-sessions'] }],
  'integration-operator': [{ actions: ['self.read', 'feed.read', 'message.read', 'message.replay', 'message.reprocess', 'message.reveal', 'source.manage', 'identity.review'] }],
  'privacy-officer': [
    { reach: 'organization', actions: ['patient.read', 'patient.search', 'patient.export'] },
    { actions: ['self.read', 'audit.read', 'audit.export', 'audit.verify', 'break-glass.review'] },
  ],
  'security-admin': [{ actions: ['self.read', 'directory.read', 'directory.write', 'client.manage', 'keys.manage', 'account.read', 'account.unlock', 'account.reset-mfa', 'account.revoke-sessions', 'account.issue-credentials', 'audit.verify'] }],
  // Carries no patients of its own: it lifts the security labels below for patients its holder may already open.
  'behavioral-health': [{ actions: ['self.read'] }],
};

/**
 * The purposes (HL7 v3 PurposeOfUse) each role may act under. A caller may declare one with the X-Purpose-Of-Use
 * header; without it the role's first purpose is assumed. The effective purpose goes onto every audit event.
 */
export const ROLE_PURPOSES: Record<Role, readonly string[]> = {
  physician: ['TREAT', 'ETREAT', 'COC', 'PATRQT'],
  nurse: ['TREAT', 'ETREAT', 'COC'],
  'covering-clinician': ['TREAT', 'ETREAT', 'COC'],
  'billing-specialist': ['HPAYMT', 'HOPERAT'],
  'support-staff': ['HSYSADMIN'],
  'integration-operator': ['HOPERAT', 'HSYSADMIN'],
  'privacy-officer': ['HCOMPL', 'PATRQT', 'HOPERAT'],
  'security-admin': ['HSYSADMIN'],
  'behavioral-health': ['TREAT', 'ETREAT', 'COC'],
};

/**
 * Security labels and the roles that may open records carrying each: sensitivity categories (HL7 v3 ActCode) and the
 * two closing confidentiality codes (HL7 v3 Confidentiality, HL7 v2 table 0272), which sources put on documents.
 * A very restricted record is for named individuals at its source, whom Vigil cannot know: no role opens it (system
 * clients, which labels do not close, still read it under their scopes). A source profile may map its codes to other
 * labels (src/adapters/source-profile.ts, documentConfidentiality).
 */
export const SECURITY_LABELS = {
  PSY: { name: 'psychotherapy notes', roles: ['behavioral-health'] },
  SUD: { name: 'substance use disorder records', roles: ['behavioral-health'] },
  HIV: { name: 'HIV status', roles: ['behavioral-health', 'physician'] },
  REPRO: { name: 'reproductive health', roles: ['physician'] },
  R: { name: 'restricted', roles: ['physician', 'behavioral-health'] },
  V: { name: 'very restricted', roles: [] },
} as const satisfies Record<string, { name: string; roles: readonly Role[] }>;
export type SecurityLabel = keyof typeof SECURITY_LABELS;

/** A security label as FHIR codes it (meta.security): confidentiality in v3 Confidentiality, the rest in v3 ActCode. */
export function securityLabelCoding(label: string): { system: string; code: string } {
  const system = CLOSING_CONFIDENTIALITY.has(label) ? CONFIDENTIALITY_SYSTEM : ACT_CODE_SYSTEM;
  return { system, code: label };
}

/** Patient fields by purpose; a role sees the union of its groups (minimum necessary). */
export const PATIENT_FIELD_GROUPS = {
  identity: ['id', 'identifier', 'name', 'birthDate', 'gender', 'active', 'link'],
  contact: ['telecom', 'address'],
  payer: ['payer'],
  sensitivity: ['meta'],
  facility: ['managingOrganization'],
} as const;
export type PatientFieldGroup = keyof typeof PATIENT_FIELD_GROUPS;

export const PATIENT_FIELDS_BY_ROLE: Partial<Record<Role, readonly PatientFieldGroup[]>> = {
  physician: ['identity', 'contact', 'sensitivity', 'facility'],
  nurse: ['identity', 'contact', 'sensitivity', 'facility'],
  'covering-clinician': ['identity', 'contact', 'sensitivity', 'facility'],
  'billing-specialist': ['identity', 'contact', 'payer', 'facility'],
  'privacy-officer': ['identity', 'facility'],
};

/**
 * The FHIR types of a chart a client reads with `chart.read`, each opened by its own `system/<Type>.read` scope: a
 * client that may read medication orders must not also read problems, notes and visits (least privilege). Reads of the
 * whole chart (`Patient/$everything`, the chart, a fact's history) need every one of them, or `system/*.read`.
 */
export const CHART_TYPES = [
  'Encounter',
  'Observation',
  'DiagnosticReport',
  'MedicationRequest',
  'MedicationAdministration',
  'MedicationStatement',
  'MedicationDispense',
  'AllergyIntolerance',
  'Condition',
  'DocumentReference',
  'Provenance',
] as const;
export type ChartType = (typeof CHART_TYPES)[number];
/** Route resource types that stand for a whole chart rather than one type of it. */
export const WHOLE_CHART_RESOURCES: readonly string[] = ['Patient', 'Resource'];

const RESULT_ACTIONS: readonly Action[] = ['result.view-final', 'result.view-corrected', 'result.view-preliminary'];

/** SMART system scopes a client may hold, and the actions each allows on any patient (clients have no care relation). */
export const SCOPE_ACTIONS: Record<string, readonly Action[]> = {
  'system/*.read': ['patient.read', 'patient.search', 'chart.read', ...RESULT_ACTIONS, 'audit.read'],
  'system/Patient.read': ['patient.read', 'patient.search'],
  'system/AuditEvent.read': ['audit.read'],
  'system/Bundle.write': ['message.submit'],
  ...Object.fromEntries(
    CHART_TYPES.map((type) => [`system/${type}.read`, type === 'Observation' || type === 'DiagnosticReport' ? ['chart.read', ...RESULT_ACTIONS] : ['chart.read']]),
  ),
};
export const CLIENT_PATIENT_FIELDS: readonly PatientFieldGroup[] = ['identity', 'contact', 'facility'];

/** Break-glass: how long one grant lasts unless asked for less, and the reasons a person may give. */
export const BREAK_GLASS_DEFAULT_MINUTES = 60;
export const BREAK_GLASS_REASONS = {
  'emergency-treatment': 'Emergency treatment',
  'patient-unresponsive': 'Patient unresponsive or unable to consent',
  'urgent-continuity': 'Urgent continuity of care (care team unavailable)',
  other: 'Other (explain)',
} as const;
export type BreakGlassReason = keyof typeof BREAK_GLASS_REASONS;

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** Every action a set of roles may perform somewhere (for "what may I do"; the PDP still decides per patient). */
export function permissionsOf(roles: readonly string[]): Action[] {
  const out = new Set<Action>();
  for (const role of roles) {
    if (!isRole(role)) continue;
    for (const grant of ROLE_GRANTS[role]) for (const action of grant.actions) out.add(action);
  }
  return [...out].sort();
}
