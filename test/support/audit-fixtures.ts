import { randomBytes } from 'node:crypto';
import type { PersonSubject } from '../../src/controls/access/subject.ts';
import { recordAudit } from '../../src/controls/audit/audit-event.ts';
import { LocalKeyring } from '../../src/controls/keys/keyring.ts';
import { SigningKeys } from '../../src/controls/keys/signing-keys.ts';
import type { Store } from '../../src/store/store.ts';
import { CANARY_PATIENT } from './canaries.ts';
import { createTestDatabase, type TestDatabase } from './test-db.ts';

/** Audit test helpers: a person, events that carry canary PHI (so a leak into output fails the run), a keyring. */
export const AUDIT_PATIENT = '01900000-0000-7000-8000-00000000a001';

export const CLINICIAN: PersonSubject = {
  kind: 'person',
  id: '01900000-0000-7000-8000-0000000000b1',
  username: 'dr.ng',
  displayName: 'Dr Ng',
  roles: ['physician'],
  organizationId: '01900000-0000-7000-8000-0000000000c1',
  facilityIds: [],
  sessionId: '01900000-0000-7000-8000-0000000000d1',
  sessionKind: 'web',
  mfaAt: null,
};

export const FACTS = { requestId: 'req-audit-test', clientIp: '127.0.0.1', userAgent: 'audit-test', purposeOfUse: 'TREAT' };

/** Writes `n` events, one transaction each (as requests do), with canary PHI in their search query. */
export async function writeEvents(store: Store, n: number, label = 'read'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    ids.push(
      await store.tx((trx) =>
        recordAudit(trx, CLINICIAN, FACTS, {
          action: `patient.${label}`,
          actionCode: 'R',
          resourceType: 'Patient',
          resourceIds: [AUDIT_PATIENT],
          patientId: AUDIT_PATIENT,
          outcome: 'success',
          query: { family: CANARY_PATIENT.family, birthdate: CANARY_PATIENT.birthDate, i },
        }),
      ),
    );
  }
  return ids;
}

export function testSigningKeys(): SigningKeys {
  return new SigningKeys(LocalKeyring.single(randomBytes(32)), 'audit');
}

export const SEAL = { checkpointEvents: 1000, checkpointSeconds: 10 };

/** A fresh database of the run's engine for one test, closed and dropped after `fn`. */
export async function withFreshStore<T>(fn: (store: Store, db: TestDatabase) => Promise<T>): Promise<T> {
  const db = await createTestDatabase();
  const store = await db.open();
  try {
    return await fn(store, db);
  } finally {
    await store.close();
    await db.dispose();
  }
}

/** A clock a test moves by hand. */
export function manualClock(start = new Date('2026-05-01T12:00:00.000Z')): { now: () => Date; advance(seconds: number): void } {
  let t = start.getTime();
  return { now: () => new Date(t), advance: (seconds) => void (t += seconds * 1000) };
}
