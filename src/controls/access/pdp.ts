import {
  ACTIONS,
  CLIENT_PATIENT_FIELDS,
  isAction,
  isRole,
  PATIENT_FIELD_GROUPS,
  PRIVILEGED_ROLES,
  ROLE_PURPOSES,
  ROLES,
  PATIENT_FIELDS_BY_ROLE,
  ROLE_GRANTS,
  CHART_TYPES,
  SCOPE_ACTIONS,
  SECURITY_LABELS,
  WHOLE_CHART_RESOURCES,
  type Action,
  type PatientFieldGroup,
  type Reach,
  type Role,
} from './policy.ts';
import type { Subject } from './subject.ts';

/**
 * The policy decision point: one pure function from (subject, action, patient relation) to permit or deny, with the
 * reason and the obligations the caller must honour (which fields it may return, whether the access is break-glass).
 * It does no I/O, so it is cheap enough to run on every request; relations.ts loads the facts it decides over.
 */

/** What the database says about one patient relative to the subject, loaded in the request's transaction. */
export interface PatientRelation {
  patientId: string;
  exists: boolean;
  securityLabels: readonly string[];
  /** The managing facility and the facilities of active encounters. */
  facilityIds: readonly string[];
  activeEncounterFacilityIds: readonly string[];
  /** In one of the subject's care teams, or assigned to the subject, now. */
  inCare: boolean;
  /** In the care of someone the subject covers: inside the window now ('active') or only in a past window ('ended'). */
  coverage: 'active' | 'ended' | 'none';
  /** An unexpired break-glass grant of the subject for this patient. */
  breakGlass: { grantId: string; expiresAt: Date } | null;
}

export type ReasonCode =
  | 'permit-care-relation'
  | 'permit-coverage'
  | 'permit-facility'
  | 'permit-organization'
  | 'permit-system-scope'
  | 'permit-role'
  | 'permit-break-glass'
  | 'deny-unknown-action'
  | 'deny-role'
  | 'deny-scope'
  | 'deny-no-care-relation'
  | 'deny-coverage-ended'
  | 'deny-other-facility'
  | 'deny-sensitive-label'
  | 'deny-no-active-encounter'
  | 'deny-own-account'
  | 'deny-purpose'
  | 'deny-privileged-target';

export interface Decision {
  permit: boolean;
  reason: ReasonCode;
  /** The access relies on a break-glass grant: every audit event it causes carries the flag. */
  breakGlass: boolean;
  breakGlassGrantId: string | null;
  /** Patient fields the response may carry (minimum necessary); empty when the decision is not about a patient. */
  patientFields: readonly string[];
  /** The caller may learn whether a patient exists (it could see any patient): 404 instead of 403 for unknown ids. */
  revealsExistence: boolean;
}

export interface DecisionInput {
  subject: Subject;
  action: string;
  /** Required for patient-scoped actions. */
  patient?: PatientRelation;
  /** The HL7 PurposeOfUse the caller declared; a person may only act under a purpose one of their roles allows. */
  purposeOfUse?: string | null;
  /** The resource type acted on: a client's `chart.read` is decided per type by its scopes. */
  resourceType?: string;
  /** For account actions: the person acted upon. */
  accountTarget?: { id: string; roles: readonly string[] };
}

const NO_FIELDS: readonly string[] = [];
const ACCOUNT_TAKEOVER_ACTIONS = new Set<Action>(['account.unlock', 'account.reset-mfa', 'account.issue-credentials']);
const CLIENT_FIELDS = fieldsOf(CLIENT_PATIENT_FIELDS);

function deny(reason: ReasonCode): Decision {
  return { permit: false, reason, breakGlass: false, breakGlassGrantId: null, patientFields: NO_FIELDS, revealsExistence: false };
}

function fieldsOf(groups: Iterable<PatientFieldGroup>): string[] {
  const fields = new Set<string>();
  for (const group of groups) for (const f of PATIENT_FIELD_GROUPS[group]) fields.add(f);
  return [...fields];
}

const fieldCache = new Map<string, readonly string[]>();
/** The patient fields a subject may see wherever it may see a patient at all (search results). */
export function patientFieldsOf(subject: Subject): readonly string[] {
  return subject.kind === 'client' ? CLIENT_FIELDS : patientFieldsFor(subject.roles);
}

function patientFieldsFor(roles: readonly string[]): readonly string[] {
  const key = roles.join(',');
  let fields = fieldCache.get(key);
  if (!fields) {
    const groups = new Set<PatientFieldGroup>();
    for (const role of roles) if (isRole(role)) for (const g of PATIENT_FIELDS_BY_ROLE[role] ?? []) groups.add(g);
    fields = fieldsOf(groups);
    fieldCache.set(key, fields);
  }
  return fields;
}

const purposeCache = new Map<string, readonly string[]>();
/** Every purpose a set of roles may act under; the first is the default (roles in policy order). */
export function purposesOf(roles: readonly string[]): readonly string[] {
  const key = roles.join(',');
  let purposes = purposeCache.get(key);
  if (!purposes) {
    const out = new Set<string>();
    for (const role of ROLES) if (roles.includes(role)) for (const p of ROLE_PURPOSES[role]) out.add(p);
    purposes = [...out];
    purposeCache.set(key, purposes);
  }
  return purposes;
}

/** The purpose a request acts under: what the caller declared, else the default of their roles (TREAT for clients). */
export function effectivePurpose(subject: Subject | null, declared: string | null): string {
  if (declared) return declared;
  if (!subject || subject.kind === 'client') return 'TREAT';
  return purposesOf(subject.roles)[0] ?? 'TREAT';
}

/** The reaches through which a person's roles grant an action; `null` reach = granted without a patient scope. */
export function reachesFor(roles: readonly string[], action: Action): Set<Reach | null> {
  const out = new Set<Reach | null>();
  for (const role of roles) {
    if (!isRole(role)) continue;
    for (const grant of ROLE_GRANTS[role]) if (grant.actions.includes(action)) out.add(grant.reach ?? null);
  }
  return out;
}

/**
 * Whether a client's scopes allow an action. For `chart.read` on a named type, a scope must open that type; a
 * whole-chart read needs every chart type (or the wildcard). Without a type (a decision per patient after the route's
 * gate checked the type), any scope granting the action will do.
 */
export function clientMayDo(scopes: readonly string[], action: Action, resourceType?: string): boolean {
  if (!scopes.some((scope) => SCOPE_ACTIONS[scope]?.includes(action) ?? false)) return false;
  if (action !== 'chart.read' || resourceType === undefined || scopes.includes('system/*.read')) return true;
  const opens = (type: string) => scopes.includes(`system/${type}.read`);
  if (WHOLE_CHART_RESOURCES.includes(resourceType)) return CHART_TYPES.every(opens);
  return opens(resourceType);
}

function labelsAllowed(roles: readonly string[], labels: readonly string[]): boolean {
  for (const label of labels) {
    const spec = SECURITY_LABELS[label as keyof typeof SECURITY_LABELS];
    // An unknown label is treated as the strictest kind: nobody passes it until the policy names it.
    if (!spec || !roles.some((r) => (spec.roles as readonly Role[]).includes(r as Role))) return false;
  }
  return true;
}

const intersects = (a: readonly string[], b: readonly string[]) => a.some((x) => b.includes(x));

export function decide(input: DecisionInput): Decision {
  const { subject } = input;
  if (!isAction(input.action)) return deny('deny-unknown-action');
  const action = input.action;
  const spec = ACTIONS[action];

  if (subject.kind === 'client') {
    if (!clientMayDo(subject.scopes, action, input.resourceType)) return deny('deny-scope');
    return { permit: true, reason: 'permit-system-scope', breakGlass: false, breakGlassGrantId: null, patientFields: spec.patientScoped ? CLIENT_FIELDS : NO_FIELDS, revealsExistence: true };
  }

  const reaches = reachesFor(subject.roles, action);
  if (reaches.size === 0) return deny('deny-role');
  if (input.purposeOfUse && !purposesOf(subject.roles).includes(input.purposeOfUse)) return deny('deny-purpose');
  if (!spec.patientScoped) {
    const target = input.accountTarget;
    if (target && ACCOUNT_TAKEOVER_ACTIONS.has(action)) {
      // Unlocking or clearing the second factor of an account is how accounts are taken over: never your own, and
      // a privileged account only by a security admin.
      if (target.id === subject.id) return deny('deny-own-account');
      if (target.roles.some((r) => (PRIVILEGED_ROLES as readonly string[]).includes(r)) && !subject.roles.includes('security-admin')) return deny('deny-privileged-target');
    }
    return { permit: true, reason: 'permit-role', breakGlass: false, breakGlassGrantId: null, patientFields: NO_FIELDS, revealsExistence: false };
  }
  // Opening a break-glass grant is decided on the person and reason, not on a relation they do not have.
  if (action === 'break-glass') {
    return { permit: true, reason: 'permit-role', breakGlass: true, breakGlassGrantId: null, patientFields: NO_FIELDS, revealsExistence: false };
  }

  const patient = input.patient;
  if (!patient) return deny('deny-no-care-relation');
  const fields = patientFieldsFor(subject.roles);
  const atFacility = intersects(patient.facilityIds, subject.facilityIds);

  let permitted: ReasonCode | null = null;
  let nearMiss: ReasonCode = 'deny-no-care-relation';
  if (reaches.has('organization')) permitted = 'permit-organization';
  else {
    for (const reach of reaches) {
      if (reach === 'care' && patient.inCare) {
        if (atFacility) permitted = 'permit-care-relation';
        else nearMiss = 'deny-other-facility';
      }
      if ((reach === 'care' || reach === 'coverage') && patient.coverage === 'active') {
        if (atFacility) permitted ??= 'permit-coverage';
        else nearMiss = 'deny-other-facility';
      }
      if ((reach === 'care' || reach === 'coverage') && patient.coverage === 'ended' && nearMiss === 'deny-no-care-relation') nearMiss = 'deny-coverage-ended';
      if (reach === 'facility') {
        if (atFacility) permitted ??= 'permit-facility';
        else nearMiss = 'deny-other-facility';
      }
      if (permitted === 'permit-care-relation') break;
    }
  }

  let breakGlass = false;
  if (!permitted && patient.breakGlass && reaches.size > 0 && (reaches.has('care') || reaches.has('coverage')) && reachesFor(subject.roles, 'break-glass').size > 0) {
    permitted = 'permit-break-glass';
    breakGlass = true;
  }
  if (!permitted) return deny(nearMiss);

  // Compliance work (a data-subject export) must cover the whole record, labels included; it never opens the chart.
  if (permitted !== 'permit-organization' && spec.clinical && patient.securityLabels.length > 0 && !labelsAllowed(subject.roles, patient.securityLabels)) return deny('deny-sensitive-label');
  if (spec.write && 'encounter' in spec && spec.encounter) {
    const encounterOk = breakGlass ? patient.activeEncounterFacilityIds.length > 0 : intersects(patient.activeEncounterFacilityIds, subject.facilityIds);
    if (!encounterOk) return deny('deny-no-active-encounter');
  }
  return {
    permit: true,
    reason: permitted,
    breakGlass,
    breakGlassGrantId: breakGlass ? patient.breakGlass!.grantId : null,
    patientFields: fields,
    revealsExistence: permitted === 'permit-organization',
  };
}
