import { generate } from 'otplib';
import { v7 as uuidv7 } from 'uuid';
import { loadKeyring } from '../../src/controls/keys/keyring.ts';
import { enrollTotp, setPassword } from '../../src/controls/access/auth/credentials.ts';
import { MFA_REQUIRED_ROLES } from '../../src/controls/access/policy.ts';
import type { VigilConfig } from '../../src/config/settings.ts';
import type { Store } from '../../src/store/store.ts';
import { CANARY_PATIENT, CANARY_PATIENT_2 } from './canaries.ts';

/**
 * A small hospital built for access tests: for each role set, one person who is in team A at North, covers colleague
 * X now and covered colleague Y in the past, and holds a break-glass grant for one patient of team B; and one patient
 * per relation the authorization matrix names. Canary patients sit in the fixture so a leak of their data fails the run.
 */
export const RELATIONS = [
  'own-team',
  'own-team-no-encounter',
  'other-team',
  'covering-in-window',
  'covering-after-window',
  'other-facility',
  'sensitive-label',
  'break-glass-active',
] as const;
export type Relation = (typeof RELATIONS)[number];

export interface FixturePerson {
  id: string;
  username: string;
  password: string;
  totpSecret: string;
  roles: string[];
}

export interface AccessFixture {
  organizationId: string;
  north: string;
  south: string;
  teamA: string;
  teamB: string;
  patients: Record<Relation, { id: string; mrn: string }>;
  people: Map<string, FixturePerson>;
}

export const MRN_SYSTEM = 'urn:oid:2.16.840.1.113883.19.5';

const HOUR = 3_600_000;

export async function buildAccessFixture(store: Store, config: VigilConfig, roleSets: readonly string[]): Promise<AccessFixture> {
  const keyring = loadKeyring(config);
  const db = store.db;
  const organizationId = uuidv7();
  const north = uuidv7();
  const south = uuidv7();
  const teamA = uuidv7();
  const teamB = uuidv7();
  const now = Date.now();
  await db.insertInto('organizations').values({ id: organizationId, name: 'Fixture Health' }).execute();
  await db.insertInto('facilities').values([
    { id: north, organization_id: organizationId, code: `N${north.slice(-6)}`, name: 'North' },
    { id: south, organization_id: organizationId, code: `S${south.slice(-6)}`, name: 'South' },
  ]).execute();
  await db.insertInto('care_teams').values([
    { id: teamA, name: 'Team A', facility_id: north, department_id: null },
    { id: teamB, name: 'Team B', facility_id: north, department_id: null },
  ]).execute();

  const addPerson = async (username: string, roles: string[], password?: string) => {
    const id = uuidv7();
    await db.insertInto('people').values({ id, username, display_name: `Fixture ${username}`, organization_id: organizationId, password_hash: null, totp_kek_id: null, totp_secret_wrapped: null, locked_until: null, last_login_at: null }).execute();
    if (roles.length) await db.insertInto('person_roles').values(roles.map((role) => ({ person_id: id, role }))).execute();
    await db.insertInto('person_facilities').values({ person_id: id, facility_id: north }).execute();
    let totpSecret = '';
    if (password) {
      await setPassword(db, id, password);
      totpSecret = await enrollTotp(db, keyring, id);
    }
    return { id, totpSecret };
  };

  const colleagueX = await addPerson('colleague.x', ['physician']);
  const colleagueY = await addPerson('colleague.y', ['physician']);

  const patients = {} as Record<Relation, { id: string; mrn: string }>;
  const addPatient = async (relation: Relation, spec: { team?: string; person?: string; facility: string; encounter: 'active' | 'finished'; labels?: string[] }) => {
    const id = uuidv7();
    const canary = relation === 'own-team' ? CANARY_PATIENT : relation === 'other-team' ? CANARY_PATIENT_2 : undefined;
    const mrn = canary?.mrn ?? `MRN-FX-${relation}-${id.slice(-4)}`;
    await db.insertInto('patients').values({
      id,
      family_name: canary?.family ?? `Fixture-${relation}`,
      given_names: canary?.given ?? 'Pat',
      birth_date: canary?.birthDate ?? '1970-01-01',
      sex: 'unknown',
      phone: canary?.phone ?? null,
      address_line: null,
      address_city: null,
      address_postal_code: null,
      payer_name: 'Fixture Mutual',
      payer_member_id: `FM-${id.slice(-6)}`,
      security_labels: spec.labels ?? [],
      managing_facility_id: spec.facility,
    }).execute();
    await db.insertInto('patient_identifiers').values({ patient_id: id, system: MRN_SYSTEM, value: mrn }).execute();
    await db.insertInto('patient_assignments').values({ id: uuidv7(), patient_id: id, team_id: spec.team ?? null, person_id: spec.person ?? null, starts_at: new Date(now - 48 * HOUR), ends_at: null }).execute();
    await db.insertInto('encounters').values({ id: uuidv7(), patient_id: id, facility_id: spec.facility, status: spec.encounter, starts_at: new Date(now - 24 * HOUR), ends_at: spec.encounter === 'finished' ? new Date(now - 2 * HOUR) : null }).execute();
    patients[relation] = { id, mrn };
  };
  await addPatient('own-team', { team: teamA, facility: north, encounter: 'active' });
  await addPatient('own-team-no-encounter', { team: teamA, facility: north, encounter: 'finished' });
  await addPatient('other-team', { team: teamB, facility: north, encounter: 'active' });
  await addPatient('covering-in-window', { person: colleagueX.id, facility: north, encounter: 'active' });
  await addPatient('covering-after-window', { person: colleagueY.id, facility: north, encounter: 'active' });
  await addPatient('other-facility', { team: teamA, facility: south, encounter: 'active' });
  await addPatient('sensitive-label', { team: teamA, facility: north, encounter: 'active', labels: ['PSY'] });
  await addPatient('break-glass-active', { team: teamB, facility: north, encounter: 'active' });

  const people = new Map<string, FixturePerson>();
  for (const roleSet of roleSets) {
    const roles = roleSet.split('+');
    const username = roleSet.replace(/\+/g, '.').slice(0, 60);
    const password = `fixture-${uuidv7()}`;
    const { id, totpSecret } = await addPerson(username, roles, password);
    await db.insertInto('care_team_members').values({ team_id: teamA, person_id: id }).execute();
    await db.insertInto('coverage').values([
      { id: uuidv7(), covering_person_id: id, covered_person_id: colleagueX.id, starts_at: new Date(now - HOUR), ends_at: new Date(now + 8 * HOUR) },
      { id: uuidv7(), covering_person_id: id, covered_person_id: colleagueY.id, starts_at: new Date(now - 10 * HOUR), ends_at: new Date(now - 2 * HOUR) },
    ]).execute();
    await db.insertInto('break_glass_grants').values({
      id: uuidv7(), person_id: id, patient_id: patients['break-glass-active'].id, session_id: null, reason_code: 'emergency-treatment', reason_text: 'fixture grant for the matrix',
      expires_at: new Date(now + HOUR), ended_at: null, review_outcome: null, review_note: null, reviewer_id: null, reviewed_at: null,
    }).execute();
    people.set(roleSet, { id, username, password, totpSecret, roles });
  }
  return { organizationId, north, south, teamA, teamB, patients, people };
}

/** A fresh TOTP code; waits for the next 30 s step when this one was used already (codes are single-use). */
const lastStep = new Map<string, number>();
export async function freshTotp(secret: string): Promise<string> {
  for (;;) {
    const step = Math.floor(Date.now() / 30_000);
    if (lastStep.get(secret) !== step) {
      lastStep.set(secret, step);
      return generate({ secret });
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Signs in through the real endpoint and returns the bearer token. The second factor is sent only where the role
 * requires it, so the person's next code stays free for break-glass (codes are single-use, one per 30 s).
 */
export async function signIn(url: string, person: FixturePerson): Promise<string> {
  const needsCode = person.roles.some((r) => (MFA_REQUIRED_ROLES as readonly string[]).includes(r));
  const res = await fetch(`${url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: person.username, password: person.password, ...(needsCode ? { totp: await freshTotp(person.totpSecret) } : {}) }),
  });
  if (res.status !== 200) throw new Error(`sign-in for the fixture account failed with ${res.status}`);
  const body = (await res.json()) as { access_token: string };
  return body.access_token;
}
