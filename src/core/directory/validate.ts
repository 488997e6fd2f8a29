import { DirectoryRuleError } from './errors.ts';

/**
 * Rules checked in the service as well as in the HTTP schemas: the service is also called without HTTP (the demo
 * seed, jobs), and the database would otherwise answer with a driver error that says nothing useful.
 */
export const NAME_MAX = 200;
export const FACILITY_CODE = /^[A-Z0-9][A-Z0-9-]{1,15}$/;
export const USERNAME = /^[a-z0-9._-]{2,64}$/;

export function requiredName(value: string, field: string): string {
  const trimmed = typeof value === 'string' ? value.trim() : '';
  if (trimmed.length === 0 || trimmed.length > NAME_MAX) {
    throw new DirectoryRuleError('invalid-name', `${field} must be between 1 and ${NAME_MAX} characters once spaces at either end are removed.`);
  }
  return trimmed;
}

export function distinct<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

/** Roles that look after patients themselves: a patient can be assigned to them, and a colleague can cover for them. */
export const CARE_ROLES = ['physician', 'nurse'] as const;
/** Roles that can act for a colleague inside a coverage window. */
export const COVERING_ROLES = ['physician', 'nurse', 'covering-clinician'] as const;
