/**
 * The directory: who works where and with whom, which patients are in whose care, who covers for whom, and which
 * encounters are open. The decision point reads these facts; every change to them is audited in its transaction.
 */
export * from './assignments.ts';
export * from './care-teams.ts';
export * from './context.ts';
export * from './coverage.ts';
export * from './encounters.ts';
export * from './errors.ts';
export * from './organizations.ts';
export * from './pagination.ts';
export * from './people.ts';
export { CARE_ROLES, COVERING_ROLES, FACILITY_CODE, USERNAME } from './validate.ts';
