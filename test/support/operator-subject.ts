import type { PersonSubject, RequestFacts } from '../../src/controls/access/subject.ts';

/** An integration operator as the services see one after sign-in, for tests that call the services directly. */
export const OPERATOR: PersonSubject = {
  kind: 'person',
  id: '00000000-0000-7000-8000-000000000001',
  username: 'op',
  displayName: 'Op',
  roles: ['integration-operator'],
  organizationId: '00000000-0000-7000-8000-000000000002',
  facilityIds: [],
  sessionId: '00000000-0000-7000-8000-000000000003',
  sessionKind: 'api',
  mfaAt: null,
};

/** The request facts of such a call: operations work (HOPERAT). */
export const OPERATOR_FACTS: RequestFacts = { requestId: 'r', clientIp: null, userAgent: null, purposeOfUse: 'HOPERAT' };
