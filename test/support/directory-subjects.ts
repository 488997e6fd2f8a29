import type { FastifyInstance } from 'fastify';
import { v7 as uuidv7 } from 'uuid';
import type { PersonSubject } from '../../src/controls/access/subject.ts';

/**
 * Stand-in subjects for HTTP tests of the directory admin API: an onRequest hook (added after authentication's)
 * sets `request.subject` from the `x-test-subject` header, so the real guard decides on a known subject without a
 * sign-in. A request without the header has no subject, exactly as an unauthenticated one.
 */
const organizationId = uuidv7();

function subject(username: string, roles: string[]): PersonSubject {
  return { kind: 'person', id: uuidv7(), username, displayName: username, roles, organizationId, facilityIds: [], sessionId: uuidv7(), sessionKind: 'api', mfaAt: new Date() };
}

export const TEST_SUBJECTS = {
  'security-admin': subject('test.secadmin', ['security-admin']),
  nurse: subject('test.nurse', ['nurse']),
  'support-staff': subject('test.support', ['support-staff']),
  'privacy-officer': subject('test.privacy', ['privacy-officer']),
} as const;
export type TestSubjectName = keyof typeof TEST_SUBJECTS;

export const SUBJECT_HEADER = 'x-test-subject';

export function withTestSubjects(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    const name = request.headers[SUBJECT_HEADER];
    if (typeof name === 'string' && Object.hasOwn(TEST_SUBJECTS, name)) request.subject = TEST_SUBJECTS[name as TestSubjectName];
  });
}
