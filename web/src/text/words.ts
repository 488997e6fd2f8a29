import type { Action } from '../api/types.ts';

/**
 * Words for codes the server sends: roles, actions, decision reasons. They describe; they decide nothing (the server
 * decides every request). Typed against the server's own list of actions, so a new action fails the build until it
 * has a sentence here.
 */

const ROLE_NAMES: Record<string, string> = {
  physician: 'Physician',
  nurse: 'Nurse',
  'covering-clinician': 'Covering clinician',
  'billing-specialist': 'Billing specialist',
  'support-staff': 'Support staff',
  'integration-operator': 'Integration operator',
  'privacy-officer': 'Privacy officer',
  'security-admin': 'Security administrator',
  'behavioral-health': 'Behavioral health',
};

export function roleName(role: string): string {
  return ROLE_NAMES[role] ?? role;
}

export type Area =
  | 'Patients'
  | 'Medications'
  | 'Results'
  | 'Notes'
  | 'Sharing and export'
  | 'Emergency access'
  | 'Your account'
  | 'Accounts and sessions'
  | 'Directory and security'
  | 'Privacy and audit'
  | 'Integration';

export const AREA_ORDER: readonly Area[] = [
  'Patients',
  'Medications',
  'Results',
  'Notes',
  'Sharing and export',
  'Emergency access',
  'Privacy and audit',
  'Directory and security',
  'Accounts and sessions',
  'Integration',
  'Your account',
];

export const ACTION_TEXT: Record<Action, { area: Area; text: string }> = {
  'patient.search': { area: 'Patients', text: 'Search for patients' },
  'patient.read': { area: 'Patients', text: "Open a patient's record (identity and the details your role needs)" },
  'chart.read': { area: 'Patients', text: "Read a patient's chart" },
  'medication.draft': { area: 'Medications', text: 'Draft medication orders and reconciliations' },
  'medication.review': { area: 'Medications', text: 'Review drafted medications' },
  'medication.sign': { area: 'Medications', text: 'Sign medication orders' },
  'medication.revoke': { area: 'Medications', text: 'Revoke a signed medication order' },
  'medication.resend': { area: 'Medications', text: 'Resend a medication order to the EHR or pharmacy' },
  'result.view-preliminary': { area: 'Results', text: 'See preliminary results' },
  'result.view-final': { area: 'Results', text: 'See final results' },
  'result.view-corrected': { area: 'Results', text: 'See corrected results' },
  'note.read': { area: 'Notes', text: 'Read clinical notes' },
  'note.edit': { area: 'Notes', text: 'Write and edit clinical notes' },
  'note.co-sign': { area: 'Notes', text: 'Co-sign notes' },
  'note.lock': { area: 'Notes', text: 'Lock a note' },
  'note.reopen': { area: 'Notes', text: 'Reopen a locked note' },
  'patient.export': { area: 'Sharing and export', text: "Export a patient's whole record (data-subject requests)" },
  'patient.disclose': { area: 'Sharing and export', text: "Disclose a patient's data to another party, where consent allows" },
  'break-glass': { area: 'Emergency access', text: 'Break the glass: open a record outside your care in an emergency, with a reason and your second factor' },
  'self.read': { area: 'Your account', text: 'See who you are signed in as and what you may do' },
  'account.read': { area: 'Accounts and sessions', text: "See a person's account state and open sessions" },
  'account.unlock': { area: 'Accounts and sessions', text: 'Lift a sign-in lockout' },
  'account.reset-mfa': { area: 'Accounts and sessions', text: "Reset a person's second factor" },
  'account.revoke-sessions': { area: 'Accounts and sessions', text: "End a person's sessions" },
  'account.issue-credentials': { area: 'Accounts and sessions', text: 'Issue a new password and authenticator to a person (shown once, to hand over); ends their open sessions' },
  'directory.read': { area: 'Directory and security', text: 'See people, roles, care teams, coverage and encounters' },
  'directory.write': { area: 'Directory and security', text: 'Change people, roles, care teams, coverage and encounters' },
  'client.manage': { area: 'Directory and security', text: 'Manage integration clients and their credentials' },
  'keys.manage': { area: 'Directory and security', text: 'Manage encryption and signing keys' },
  'audit.read': { area: 'Privacy and audit', text: 'Search the audit trail and see who has seen a record' },
  'audit.export': { area: 'Privacy and audit', text: 'Export audit events' },
  'audit.verify': { area: 'Privacy and audit', text: "Check the audit trail's seals and signed checkpoints" },
  'break-glass.review': { area: 'Privacy and audit', text: 'Review emergency (break-glass) access and record an outcome' },
  'feed.read': { area: 'Integration', text: 'See the health of inbound feeds' },
  'message.read': { area: 'Integration', text: 'Look at inbound messages' },
  'message.replay': { area: 'Integration', text: 'Replay messages' },
  'message.reprocess': { area: 'Integration', text: 'Reprocess parked or failed messages' },
  'message.reveal': { area: 'Integration', text: 'Reveal the content of an inbound message, with a reason' },
  'source.manage': { area: 'Integration', text: 'Register sending systems and change their profiles' },
  'message.submit': { area: 'Integration', text: 'Deliver messages to the gateway (sending systems only)' },
  'identity.review': { area: 'Integration', text: 'Review possible duplicate patients: compare two records side by side, link them or mark them as different people (a link can be undone)' },
};

export function actionText(action: string): { area: Area | 'Other'; text: string } {
  return Object.hasOwn(ACTION_TEXT, action) ? ACTION_TEXT[action as Action] : { area: 'Other', text: action };
}

/** Plain words for the decision point's refusals: why the record is closed to this person, and what can be done. */
const REASONS: Record<string, string> = {
  'deny-no-care-relation':
    'This patient is not in your care: they are not on one of your care teams, not assigned to you, and not a patient of a colleague you are covering for right now.',
  'deny-coverage-ended': 'You covered for this patient’s clinician, but that coverage window has ended, and with it your access.',
  'deny-other-facility': 'This patient is cared for at a facility where you do not work.',
  'deny-sensitive-label':
    'This record carries a sensitivity label (such as psychotherapy notes or substance-use records) that needs a permission your roles do not include. Break-glass does not lift these labels.',
  'deny-no-active-encounter': 'This needs an active encounter for the patient at your facility, and there is none.',
  'deny-role': 'Your roles do not include this.',
  'deny-scope': 'This client was not granted a scope that allows this.',
  'deny-unknown-action': 'This action is not in the access policy.',
  'deny-own-account': 'You cannot do this to your own account. Ask a colleague who holds the role to do it for you.',
  'deny-privileged-target':
    'This is a privileged account (a security administrator, privacy officer or integration operator). Only a security administrator may unlock it, reset its second factor or issue its credentials.',
};

export function reasonText(reason: string | null): string {
  return (reason && REASONS[reason]) ?? 'The server refused access to this record.';
}

/** Why the server refused a change to an account, in plain words; the server's own text when the reason is new. */
export function accountRefusalText(reason: string | null, serverText: string): string {
  return (reason && REASONS[reason]) ?? serverText;
}

/** Refusals a break-glass grant can overcome (the grant stands in for the missing care relation). */
export const BREAK_GLASS_HELPS: ReadonlySet<string> = new Set(['deny-no-care-relation', 'deny-coverage-ended', 'deny-other-facility']);

const SECURITY_LABELS: Record<string, string> = {
  PSY: 'Psychotherapy notes',
  SUD: 'Substance use disorder records',
  HIV: 'HIV status',
  REPRO: 'Reproductive health',
};

export function securityLabelName(code: string): string {
  return SECURITY_LABELS[code] ?? code;
}

const OUTCOMES: Record<string, string> = {
  appropriate: 'Appropriate',
  inappropriate: 'Inappropriate',
  'needs-follow-up': 'Needs follow-up',
};

export function reviewOutcomeName(code: string | null): string {
  return code ? (OUTCOMES[code] ?? code) : 'Not reviewed';
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}

const ROLE_HINTS: Record<string, string> = {
  physician: 'Charts, orders and notes of patients in their care',
  nurse: 'Charts and medication work of patients in their care',
  'covering-clinician': 'Acts only for colleagues they cover, inside the window',
  'billing-specialist': 'Demographics and payer at their facilities; no chart content',
  'support-staff': 'Accounts, sessions and second-factor resets; no clinical data',
  'integration-operator': 'Feeds and messages; no patient data in plain view',
  'privacy-officer': 'Audit search, access reports and break-glass review',
  'security-admin': 'People, roles, care teams, keys; no clinical data',
  'behavioral-health': 'Adds access to psychotherapy and substance-use records of patients already in their care',
};

export function roleHint(role: string): string | undefined {
  return ROLE_HINTS[role];
}

/**
 * Roles that must give a second factor at every sign-in (the server's MFA_REQUIRED_ROLES). Used only to word what a
 * reset means for this person; the server decides who may sign in.
 */
export const SECOND_FACTOR_ROLES: ReadonlySet<string> = new Set(['security-admin', 'privacy-officer', 'integration-operator']);

const SESSION_ENDS: Record<string, string> = {
  'revoked-by-support': 'Ended by support',
  'credentials-reissued': 'Ended when new credentials were issued',
  logout: 'Signed out',
  'refresh-reuse': 'Ended: a refresh token was used twice',
  'person-disabled': 'Ended: the account was disabled',
  'roles-changed': 'Ended: roles changed',
  idle: 'Timed out (unused too long)',
  expired: 'Reached its time limit',
  disabled: 'Ended: the account is disabled',
};

/** How a session ended, in words. */
export function sessionEndText(status: string, revokedReason: string | null): string {
  if (status === 'revoked') return (revokedReason && SESSION_ENDS[revokedReason]) ?? 'Ended';
  return SESSION_ENDS[status] ?? status;
}
