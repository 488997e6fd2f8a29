import { randomInt } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { enrollTotp, setPassword } from '../controls/access/auth/credentials.ts';
import { isRole, type Role } from '../controls/access/policy.ts';
import { SYSTEM_FACTS } from '../controls/audit/audit-event.ts';
import type { KeyEncryptionService } from '../controls/keys/keyring.ts';
import {
  addCareTeamMember,
  audit,
  createAssignment,
  createCareTeam,
  createCoverage,
  createDepartment,
  createEncounter,
  createFacility,
  createOrganization,
  createPerson,
  withinTransaction,
  type DirectoryContext,
} from '../core/directory/index.ts';
import { VigilError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Store, Tx } from '../store/store.ts';

/**
 * The demo hospital: one organization with two campuses, four care teams, one or more people per role, a dozen
 * synthetic patients (four of them carrying sensitive-category labels), assignments across teams and to single
 * clinicians, a coverage window that is open now and one that has closed, and encounters in every state. Enough to
 * show every access rule of the policy with real sign-ins.
 *
 * Seeded once per database (recognised by the fixed organization id) and refused in production. Each account gets a
 * random password and an enrolled TOTP secret; they exist only in `<data dir>/demo-credentials.json` (mode 0600),
 * never in a log line or an audit event.
 */

export const DEMO_CREDENTIALS_FILE = 'demo-credentials.json';
export const MRN_SYSTEM = 'urn:oid:2.16.840.1.113883.19.5';
/** The South Campus's registration system before the merger: some patients also carry a number from it. */
export const SOUTH_LEGACY_SYSTEM = 'urn:oid:2.16.840.1.113883.19.6';

// Fixed, valid UUID v7 ids, readable by kind: 0190a000-de00-7KKK-8000-NNNNNNNNNNNN.
const id = (kind: number, n: number) => `0190a000-de00-7${kind.toString(16).padStart(3, '0')}-8000-${String(n).padStart(12, '0')}`;

type PersonKey =
  | 'cardiologist'
  | 'oncologist'
  | 'emergencyPhysician'
  | 'psychiatrist'
  | 'cardiologyNurse'
  | 'oncologyNurse'
  | 'emergencyNurse'
  | 'behavioralHealthNurse'
  | 'coveringNow'
  | 'coveringEnded'
  | 'billing'
  | 'support'
  | 'integration'
  | 'privacy'
  | 'securityAdmin';

type PatientKey =
  | 'cardiologyInpatient'
  | 'cardiologistOwnPatient'
  | 'cardiologyPlanned'
  | 'oncologyOutpatient'
  | 'oncologyHiv'
  | 'oncologyDischarged'
  | 'emergencyAdmitted'
  | 'emergencyRepro'
  | 'behavioralPsy'
  | 'behavioralSud'
  | 'emergencyPhysicianOwnPatient'
  | 'northPatientInSouthEmergency';

interface DemoPersonSpec {
  id: string;
  username: string;
  displayName: string;
  roles: Role[];
  facilities: ('north' | 'south')[];
  teams: ('cardiologyNorth' | 'oncologyNorth' | 'emergencySouth' | 'behavioralHealthSouth')[];
}

const PEOPLE: Record<PersonKey, DemoPersonSpec> = {
  cardiologist: { id: id(5, 1), username: 'dana.whitfield', displayName: 'Dana Whitfield', roles: ['physician'], facilities: ['north'], teams: ['cardiologyNorth'] },
  oncologist: { id: id(5, 2), username: 'omar.haddad', displayName: 'Omar Haddad', roles: ['physician'], facilities: ['north'], teams: ['oncologyNorth'] },
  emergencyPhysician: { id: id(5, 3), username: 'grace.okafor', displayName: 'Grace Okafor', roles: ['physician'], facilities: ['south'], teams: ['emergencySouth'] },
  psychiatrist: { id: id(5, 4), username: 'lena.fischer', displayName: 'Lena Fischer', roles: ['physician', 'behavioral-health'], facilities: ['south'], teams: ['behavioralHealthSouth'] },
  cardiologyNurse: { id: id(5, 5), username: 'sam.rivera', displayName: 'Sam Rivera', roles: ['nurse'], facilities: ['north'], teams: ['cardiologyNorth'] },
  oncologyNurse: { id: id(5, 6), username: 'ana.costa', displayName: 'Ana Costa', roles: ['nurse'], facilities: ['north'], teams: ['oncologyNorth'] },
  emergencyNurse: { id: id(5, 7), username: 'mei.tanaka', displayName: 'Mei Tanaka', roles: ['nurse'], facilities: ['south'], teams: ['emergencySouth'] },
  behavioralHealthNurse: { id: id(5, 8), username: 'chris.doyle', displayName: 'Chris Doyle', roles: ['nurse', 'behavioral-health'], facilities: ['south'], teams: ['behavioralHealthSouth'] },
  coveringNow: { id: id(5, 9), username: 'nina.patel', displayName: 'Nina Patel', roles: ['covering-clinician'], facilities: ['north'], teams: [] },
  coveringEnded: { id: id(5, 10), username: 'victor.alvarez', displayName: 'Victor Alvarez', roles: ['covering-clinician'], facilities: ['north'], teams: [] },
  billing: { id: id(5, 11), username: 'ruth.becker', displayName: 'Ruth Becker', roles: ['billing-specialist'], facilities: ['north', 'south'], teams: [] },
  support: { id: id(5, 12), username: 'tom.nguyen', displayName: 'Tom Nguyen', roles: ['support-staff'], facilities: ['north', 'south'], teams: [] },
  integration: { id: id(5, 13), username: 'priya.shah', displayName: 'Priya Shah', roles: ['integration-operator'], facilities: ['north', 'south'], teams: [] },
  privacy: { id: id(5, 14), username: 'alex.kim', displayName: 'Alex Kim', roles: ['privacy-officer'], facilities: ['north', 'south'], teams: [] },
  securityAdmin: { id: id(5, 15), username: 'jordan.ellis', displayName: 'Jordan Ellis', roles: ['security-admin'], facilities: ['north', 'south'], teams: [] },
};

interface DemoPatientSpec {
  id: string;
  given: string;
  family: string;
  birthDate: string;
  sex: 'female' | 'male' | 'other' | 'unknown';
  phone: string;
  address: { line: string; city: string; postalCode: string };
  payer: { name: string; memberId: string };
  facility: 'north' | 'south';
  mrn: string;
  legacyNumber?: string;
  labels: ('PSY' | 'SUD' | 'HIV' | 'REPRO')[];
}

// Family names end in "-Demo" so that nobody can take these records for real ones; numbers are in fictional ranges.
const PATIENTS: Record<PatientKey, DemoPatientSpec> = {
  cardiologyInpatient: { id: id(6, 1), given: 'Marion', family: 'Ashford-Demo', birthDate: '1948-03-14', sex: 'female', phone: '+1 202 555 0101', address: { line: '12 Larchmont Row', city: 'Northbridge', postalCode: '01990' }, payer: { name: 'Demo Health Plan', memberId: 'DHP-000101' }, facility: 'north', mrn: 'D100101', labels: [] },
  cardiologistOwnPatient: { id: id(6, 2), given: 'Henry', family: 'Bellweather-Demo', birthDate: '1955-11-02', sex: 'male', phone: '+1 202 555 0102', address: { line: '7 Quarry Lane', city: 'Northbridge', postalCode: '01991' }, payer: { name: 'Example Mutual', memberId: 'EXM-220102' }, facility: 'north', mrn: 'D100102', labels: [] },
  cardiologyPlanned: { id: id(6, 3), given: 'Edith', family: 'Caldwell-Demo', birthDate: '1939-07-21', sex: 'female', phone: '+1 202 555 0103', address: { line: '88 Orchard Street', city: 'Northbridge', postalCode: '01990' }, payer: { name: 'Synthetic Care Medicare', memberId: 'SCM-330103' }, facility: 'north', mrn: 'D100103', labels: [] },
  oncologyOutpatient: { id: id(6, 4), given: 'Raymond', family: 'Dunmore-Demo', birthDate: '1962-01-30', sex: 'male', phone: '+1 202 555 0104', address: { line: '3 Mill Pond Road', city: 'Easton Falls', postalCode: '01993' }, payer: { name: 'Demo Health Plan', memberId: 'DHP-000104' }, facility: 'north', mrn: 'D100104', labels: [] },
  oncologyHiv: { id: id(6, 5), given: 'Priscilla', family: 'Everly-Demo', birthDate: '1971-09-09', sex: 'female', phone: '+1 202 555 0105', address: { line: '140 Birch Avenue', city: 'Northbridge', postalCode: '01992' }, payer: { name: 'Example Mutual', memberId: 'EXM-220105' }, facility: 'north', mrn: 'D100105', labels: ['HIV'] },
  oncologyDischarged: { id: id(6, 6), given: 'Walter', family: 'Fairbanks-Demo', birthDate: '1950-05-17', sex: 'male', phone: '+1 202 555 0106', address: { line: '21 Tanner Court', city: 'Easton Falls', postalCode: '01993' }, payer: { name: 'Synthetic Care Medicare', memberId: 'SCM-330106' }, facility: 'north', mrn: 'D100106', labels: [] },
  emergencyAdmitted: { id: id(6, 7), given: 'Lucia', family: 'Garner-Demo', birthDate: '1990-12-03', sex: 'female', phone: '+1 202 555 0107', address: { line: '56 Harbor View', city: 'Southport', postalCode: '01995' }, payer: { name: 'Demo Health Plan', memberId: 'DHP-000107' }, facility: 'south', mrn: 'D100107', legacyNumber: 'S-2019-04417', labels: [] },
  emergencyRepro: { id: id(6, 8), given: 'Nadia', family: 'Hollis-Demo', birthDate: '1994-04-26', sex: 'female', phone: '+1 202 555 0108', address: { line: '9 Chapel Street', city: 'Southport', postalCode: '01996' }, payer: { name: 'Example Mutual', memberId: 'EXM-220108' }, facility: 'south', mrn: 'D100108', legacyNumber: 'S-2021-00932', labels: ['REPRO'] },
  behavioralPsy: { id: id(6, 9), given: 'Gordon', family: 'Ingram-Demo', birthDate: '1983-08-15', sex: 'male', phone: '+1 202 555 0109', address: { line: '301 Linden Terrace', city: 'Southport', postalCode: '01995' }, payer: { name: 'Synthetic Care Medicaid', memberId: 'SCD-440109' }, facility: 'south', mrn: 'D100109', labels: ['PSY'] },
  behavioralSud: { id: id(6, 10), given: 'Felicity', family: 'Jarvis-Demo', birthDate: '1979-02-11', sex: 'female', phone: '+1 202 555 0110', address: { line: '17 Wharf Road', city: 'Southport', postalCode: '01997' }, payer: { name: 'Synthetic Care Medicaid', memberId: 'SCD-440110' }, facility: 'south', mrn: 'D100110', labels: ['SUD'] },
  emergencyPhysicianOwnPatient: { id: id(6, 11), given: 'Oscar', family: 'Kettering-Demo', birthDate: '1967-06-05', sex: 'male', phone: '+1 202 555 0111', address: { line: '64 Ferry Lane', city: 'Southport', postalCode: '01996' }, payer: { name: 'Demo Health Plan', memberId: 'DHP-000111' }, facility: 'south', mrn: 'D100111', legacyNumber: 'S-2016-11873', labels: [] },
  northPatientInSouthEmergency: { id: id(6, 12), given: 'Beatrice', family: 'Langley-Demo', birthDate: '1944-10-19', sex: 'female', phone: '+1 202 555 0112', address: { line: '5 Cedar Close', city: 'Northbridge', postalCode: '01992' }, payer: { name: 'Synthetic Care Medicare', memberId: 'SCM-330112' }, facility: 'north', mrn: 'D100112', labels: [] },
};

function mapValues<K extends string, V, W>(record: Record<K, V>, fn: (value: V) => W): Record<K, W> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, fn(v as V)])) as Record<K, W>;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Fixed ids of the demo objects, for tests and for anyone wiring the demo to something else. */
export const DEMO = {
  organization: id(1, 1),
  facilities: { north: id(2, 1), south: id(2, 2) },
  facilityCodes: { north: 'NORTH', south: 'SOUTH' },
  departments: { cardiology: id(3, 1), oncology: id(3, 2), emergency: id(3, 3), behavioralHealth: id(3, 4), administration: id(3, 5) },
  careTeams: { cardiologyNorth: id(4, 1), oncologyNorth: id(4, 2), emergencySouth: id(4, 3), behavioralHealthSouth: id(4, 4) },
  people: mapValues(PEOPLE, (p): { id: string; username: string; roles: readonly Role[] } => ({ id: p.id, username: p.username, roles: p.roles })),
  patients: mapValues(PATIENTS, (p): { id: string; mrn: string; labels: readonly string[] } => ({ id: p.id, mrn: p.mrn, labels: p.labels })),
  coverage: { active: id(8, 1), ended: id(8, 2) },
  encounters: {
    cardiologyInpatient: id(9, 1),
    cardiologistOwnPatient: id(9, 2),
    cardiologyFinished: id(9, 3),
    cardiologyPlanned: id(9, 4),
    oncologyOutpatient: id(9, 5),
    oncologyHiv: id(9, 6),
    oncologyDischarged: id(9, 7),
    emergencyAdmitted: id(9, 8),
    emergencyRepro: id(9, 9),
    behavioralPsy: id(9, 10),
    behavioralSud: id(9, 11),
    emergencyPhysicianOwnPatientFinished: id(9, 12),
    northPatientInSouthEmergency: id(9, 13),
  },
} as const;

export interface DemoCredential {
  username: string;
  password: string;
  roles: string[];
  totpSecret: string;
  displayName: string;
  /** Facility codes (NORTH, SOUTH). */
  facilities: string[];
}

export interface DemoSeedResult {
  /** Where the demo accounts' credentials are (printed by `vigil start --demo`). */
  credentialsFile: string;
  /** The hospital was created by this call (false: it was already in the database). */
  created: boolean;
  /**
   * The hospital was already there but the credentials file was not (another data folder, or it was deleted): every
   * demo account got a new password and TOTP secret, and old ones no longer work.
   */
  credentialsReissued: boolean;
  /** The open coverage window had run out since the last start; a new one (now − 1 h … now + 8 h) was opened. */
  coverageRenewed: boolean;
}

export interface DemoSeedOptions {
  dataDir: string;
  production: boolean;
  logger?: Logger;
  now?: Date;
}

const SEED_LOCK = 7150921;
const ACTOR: DirectoryContext = { subject: null, facts: SYSTEM_FACTS, actor: { actorType: 'system', actorId: 'demo-seed', actorName: 'demo seed' } };

export class DemoInProductionError extends VigilError {
  constructor() {
    super('demo-in-production', 500, 'The demo hospital is refused when VIGIL_ENV=production: demo patients and published demo passwords must never reach a production database.');
  }
}

export async function seedDemoHospital(store: Store, keyring: KeyEncryptionService, options: DemoSeedOptions): Promise<DemoSeedResult> {
  if (options.production) throw new DemoInProductionError();
  const credentialsFile = join(options.dataDir, DEMO_CREDENTIALS_FILE);
  const now = options.now ?? new Date();
  const outcome = await store.tx(async (trx) => {
    // Two processes starting on one server database must not both build the hospital.
    await sql`select pg_advisory_xact_lock(${SEED_LOCK})`.execute(trx);
    const existing = await trx.selectFrom('organizations').select('id').where('id', '=', DEMO.organization).executeTakeFirst();
    if (!existing) {
      await buildHospital(trx, now);
      return { created: true, coverageRenewed: false, credentials: await issueCredentials(trx, keyring, false) };
    }
    const coverageRenewed = await renewOpenCoverage(trx, now);
    const credentials = existsSync(credentialsFile) ? null : await issueCredentials(trx, keyring, true);
    return { created: false, coverageRenewed, credentials };
  });
  // Written after the commit: should writing fail, the next start finds no file and issues new credentials.
  if (outcome.credentials) writeCredentialsFile(credentialsFile, outcome.credentials);
  if (outcome.created) options.logger?.info('demo.seeded', { count: Object.keys(PEOPLE).length });
  if (outcome.credentials) options.logger?.info('demo.credentials.written', { count: outcome.credentials.length });
  return { credentialsFile, created: outcome.created, credentialsReissued: !outcome.created && outcome.credentials !== null, coverageRenewed: outcome.coverageRenewed };
}

/** The credentials file of a data folder, or undefined when there is none (tests and tooling sign in with it). */
export function readDemoCredentials(dataDir: string): DemoCredential[] | undefined {
  const file = join(dataDir, DEMO_CREDENTIALS_FILE);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as DemoCredential[];
}

async function buildHospital(trx: Tx, now: Date): Promise<void> {
  const run = withinTransaction(trx);
  const at = (offsetMs: number) => new Date(now.getTime() + offsetMs);
  await createOrganization(run, ACTOR, { id: DEMO.organization, name: 'Vigil Demo Health' });
  await createFacility(run, ACTOR, { id: DEMO.facilities.north, organizationId: DEMO.organization, code: DEMO.facilityCodes.north, name: 'North Campus' });
  await createFacility(run, ACTOR, { id: DEMO.facilities.south, organizationId: DEMO.organization, code: DEMO.facilityCodes.south, name: 'South Campus' });
  const departments: [string, string, string][] = [
    [DEMO.departments.cardiology, DEMO.facilities.north, 'Cardiology'],
    [DEMO.departments.oncology, DEMO.facilities.north, 'Oncology'],
    [DEMO.departments.administration, DEMO.facilities.north, 'Administration'],
    [DEMO.departments.emergency, DEMO.facilities.south, 'Emergency Department'],
    [DEMO.departments.behavioralHealth, DEMO.facilities.south, 'Behavioral Health'],
  ];
  for (const [deptId, facilityId, name] of departments) await createDepartment(run, ACTOR, { id: deptId, facilityId, name });
  const teams: [keyof typeof DEMO.careTeams, string, string, string][] = [
    ['cardiologyNorth', 'Cardiology North', DEMO.facilities.north, DEMO.departments.cardiology],
    ['oncologyNorth', 'Oncology North', DEMO.facilities.north, DEMO.departments.oncology],
    ['emergencySouth', 'Emergency South', DEMO.facilities.south, DEMO.departments.emergency],
    ['behavioralHealthSouth', 'Behavioral Health South', DEMO.facilities.south, DEMO.departments.behavioralHealth],
  ];
  for (const [key, name, facilityId, departmentId] of teams) await createCareTeam(run, ACTOR, { id: DEMO.careTeams[key], name, facilityId, departmentId });

  for (const p of Object.values(PEOPLE)) {
    await createPerson(run, ACTOR, {
      id: p.id,
      username: p.username,
      displayName: p.displayName,
      organizationId: DEMO.organization,
      roles: p.roles,
      facilityIds: p.facilities.map((f) => DEMO.facilities[f]),
    });
    for (const team of p.teams) await addCareTeamMember(run, ACTOR, DEMO.careTeams[team], p.id);
  }

  for (const p of Object.values(PATIENTS)) {
    await trx
      .insertInto('patients')
      .values({
        id: p.id,
        family_name: p.family,
        given_names: p.given,
        birth_date: p.birthDate,
        sex: p.sex,
        phone: p.phone,
        address_line: p.address.line,
        address_city: p.address.city,
        address_postal_code: p.address.postalCode,
        payer_name: p.payer.name,
        payer_member_id: p.payer.memberId,
        security_labels: [...p.labels],
        managing_facility_id: DEMO.facilities[p.facility],
      })
      .execute();
    const identifiers = [{ patient_id: p.id, system: MRN_SYSTEM, value: p.mrn }];
    if (p.legacyNumber) identifiers.push({ patient_id: p.id, system: SOUTH_LEGACY_SYSTEM, value: p.legacyNumber });
    await trx.insertInto('patient_identifiers').values(identifiers).execute();
    await audit(trx, ACTOR, { action: 'demo.patient.create', actionCode: 'C', resourceType: 'Patient', resourceIds: [p.id], patientId: p.id, facilityId: DEMO.facilities[p.facility] });
  }

  const P = DEMO.patients;
  const T = DEMO.careTeams;
  const assignments: { n: number; patientId: string; teamId?: string; personId?: string; startsAt: Date; endsAt?: Date }[] = [
    { n: 1, patientId: P.cardiologyInpatient.id, teamId: T.cardiologyNorth, startsAt: at(-3 * DAY) },
    { n: 2, patientId: P.cardiologistOwnPatient.id, personId: PEOPLE.cardiologist.id, startsAt: at(-10 * DAY) },
    { n: 3, patientId: P.cardiologyPlanned.id, teamId: T.cardiologyNorth, startsAt: at(-40 * DAY) },
    { n: 4, patientId: P.oncologyOutpatient.id, teamId: T.oncologyNorth, startsAt: at(-60 * DAY) },
    { n: 5, patientId: P.oncologyHiv.id, teamId: T.oncologyNorth, startsAt: at(-20 * DAY) },
    { n: 6, patientId: P.oncologyDischarged.id, teamId: T.oncologyNorth, startsAt: at(-20 * DAY), endsAt: at(-1 * DAY) },
    { n: 7, patientId: P.emergencyAdmitted.id, teamId: T.emergencySouth, startsAt: at(-6 * HOUR) },
    { n: 8, patientId: P.emergencyRepro.id, teamId: T.emergencySouth, startsAt: at(-4 * HOUR) },
    { n: 9, patientId: P.behavioralPsy.id, teamId: T.behavioralHealthSouth, startsAt: at(-90 * DAY) },
    { n: 10, patientId: P.behavioralSud.id, teamId: T.behavioralHealthSouth, startsAt: at(-30 * DAY) },
    { n: 11, patientId: P.emergencyPhysicianOwnPatient.id, personId: PEOPLE.emergencyPhysician.id, startsAt: at(-14 * DAY) },
    { n: 12, patientId: P.northPatientInSouthEmergency.id, teamId: T.emergencySouth, startsAt: at(-2 * HOUR) },
    // The oncologist's own patient: the past coverage window (coveringEnded) reached exactly these patients.
    { n: 13, patientId: P.oncologyOutpatient.id, personId: PEOPLE.oncologist.id, startsAt: at(-60 * DAY) },
  ];
  for (const a of assignments) {
    await createAssignment(run, ACTOR, { id: id(7, a.n), patientId: a.patientId, teamId: a.teamId ?? null, personId: a.personId ?? null, startsAt: a.startsAt, endsAt: a.endsAt ?? null });
  }

  await createCoverage(run, ACTOR, { id: DEMO.coverage.active, coveringPersonId: PEOPLE.coveringNow.id, coveredPersonId: PEOPLE.cardiologist.id, startsAt: at(-1 * HOUR), endsAt: at(8 * HOUR) });
  await createCoverage(run, ACTOR, { id: DEMO.coverage.ended, coveringPersonId: PEOPLE.coveringEnded.id, coveredPersonId: PEOPLE.oncologist.id, startsAt: at(-3 * DAY), endsAt: at(-2 * DAY) });

  const E = DEMO.encounters;
  const N = DEMO.facilities.north;
  const S = DEMO.facilities.south;
  const encounters: { id: string; patientId: string; facilityId: string; status: 'planned' | 'active' | 'finished'; class: 'inpatient' | 'outpatient' | 'emergency'; startsAt: Date; endsAt?: Date }[] = [
    { id: E.cardiologyInpatient, patientId: P.cardiologyInpatient.id, facilityId: N, status: 'active', class: 'inpatient', startsAt: at(-3 * DAY) },
    { id: E.cardiologistOwnPatient, patientId: P.cardiologistOwnPatient.id, facilityId: N, status: 'active', class: 'inpatient', startsAt: at(-2 * DAY) },
    { id: E.cardiologyFinished, patientId: P.cardiologyPlanned.id, facilityId: N, status: 'finished', class: 'inpatient', startsAt: at(-40 * DAY), endsAt: at(-35 * DAY) },
    { id: E.cardiologyPlanned, patientId: P.cardiologyPlanned.id, facilityId: N, status: 'planned', class: 'outpatient', startsAt: at(7 * DAY) },
    { id: E.oncologyOutpatient, patientId: P.oncologyOutpatient.id, facilityId: N, status: 'active', class: 'outpatient', startsAt: at(-2 * HOUR) },
    { id: E.oncologyHiv, patientId: P.oncologyHiv.id, facilityId: N, status: 'active', class: 'inpatient', startsAt: at(-5 * DAY) },
    { id: E.oncologyDischarged, patientId: P.oncologyDischarged.id, facilityId: N, status: 'finished', class: 'inpatient', startsAt: at(-20 * DAY), endsAt: at(-1 * DAY) },
    { id: E.emergencyAdmitted, patientId: P.emergencyAdmitted.id, facilityId: S, status: 'active', class: 'emergency', startsAt: at(-6 * HOUR) },
    { id: E.emergencyRepro, patientId: P.emergencyRepro.id, facilityId: S, status: 'active', class: 'emergency', startsAt: at(-4 * HOUR) },
    { id: E.behavioralPsy, patientId: P.behavioralPsy.id, facilityId: S, status: 'active', class: 'outpatient', startsAt: at(-1 * HOUR) },
    { id: E.behavioralSud, patientId: P.behavioralSud.id, facilityId: S, status: 'active', class: 'inpatient', startsAt: at(-8 * DAY) },
    { id: E.emergencyPhysicianOwnPatientFinished, patientId: P.emergencyPhysicianOwnPatient.id, facilityId: S, status: 'finished', class: 'emergency', startsAt: at(-14 * DAY), endsAt: at(-13 * DAY) },
    { id: E.northPatientInSouthEmergency, patientId: P.northPatientInSouthEmergency.id, facilityId: S, status: 'active', class: 'emergency', startsAt: at(-2 * HOUR) },
  ];
  for (const e of encounters) await createEncounter(run, ACTOR, { ...e, endsAt: e.endsAt ?? null });
}

/**
 * The demo's open coverage window is relative to the first start; a demo started again days later would otherwise
 * show a covering clinician with nothing to cover. Opens a fresh window when none is open or coming.
 */
async function renewOpenCoverage(trx: Tx, now: Date): Promise<boolean> {
  const covering = PEOPLE.coveringNow.id;
  const covered = PEOPLE.cardiologist.id;
  const people = await trx.selectFrom('people').select(['id', 'status']).where('id', 'in', [covering, covered]).execute();
  if (people.length !== 2 || people.some((p) => p.status !== 'active')) return false;
  const last = await trx.selectFrom('coverage').select('ends_at').where('covering_person_id', '=', covering).where('covered_person_id', '=', covered).orderBy('ends_at', 'desc').limit(1).executeTakeFirst();
  if (last && last.ends_at > now) return false;
  // Windows of one pair never overlap: the new one starts an hour ago, or when the last one ended if that was later.
  const startsAt = new Date(Math.max(now.getTime() - HOUR, last ? last.ends_at.getTime() : 0));
  await createCoverage(withinTransaction(trx), ACTOR, { coveringPersonId: covering, coveredPersonId: covered, startsAt, endsAt: new Date(now.getTime() + 8 * HOUR) });
  return true;
}

// No 0/O, 1/l/I: the password is read off a screen and typed.
const ALPHABET = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** 20 characters from 55 (about 115 bits), in groups of five so it can be typed. */
export function demoPassword(): string {
  const chars = Array.from({ length: 20 }, () => ALPHABET[randomInt(ALPHABET.length)]!);
  return [0, 5, 10, 15].map((i) => chars.slice(i, i + 5).join('')).join('-');
}

/** New password and TOTP secret for every demo account still in the directory; the roles listed are today's. */
async function issueCredentials(trx: Tx, keyring: KeyEncryptionService, reissue: boolean): Promise<DemoCredential[]> {
  const ids = Object.values(PEOPLE).map((p) => p.id);
  const rows = await trx.selectFrom('people').select(['id', 'username', 'display_name']).where('id', 'in', ids).orderBy('username').execute();
  const roles = await trx.selectFrom('person_roles').select(['person_id', 'role']).where('person_id', 'in', ids).orderBy('role').execute();
  const facilities = await trx
    .selectFrom('person_facilities')
    .innerJoin('facilities', 'facilities.id', 'person_facilities.facility_id')
    .select(['person_facilities.person_id', 'facilities.code'])
    .where('person_facilities.person_id', 'in', ids)
    .orderBy('facilities.code')
    .execute();
  const out: DemoCredential[] = [];
  for (const row of rows) {
    const password = demoPassword();
    await setPassword(trx, row.id, password);
    const totpSecret = await enrollTotp(trx, keyring, row.id);
    out.push({
      username: row.username,
      password,
      roles: roles.filter((r) => r.person_id === row.id && isRole(r.role)).map((r) => r.role),
      totpSecret,
      displayName: row.display_name,
      facilities: facilities.filter((f) => f.person_id === row.id).map((f) => f.code),
    });
  }
  await audit(trx, ACTOR, {
    action: reissue ? 'demo.credentials.reissue' : 'demo.credentials.issue',
    actionCode: 'U',
    resourceType: 'Person',
    resourceIds: rows.map((r) => r.id),
    details: { fields: ['password', 'totp'], count: rows.length },
  });
  return out;
}

function writeCredentialsFile(file: string, credentials: DemoCredential[]): void {
  mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
  const partial = `${file}.${process.pid}.tmp`;
  rmSync(partial, { force: true });
  // Created 0600 (never briefly readable by others), then renamed over any old file in one step.
  writeFileSync(partial, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(partial, 0o600);
  renameSync(partial, file);
}

/** The demo patients as the hospital simulator should know them, so its traffic lands on their charts. */
export function demoPatientsForTraffic(): { mrn: string; family: string; given: string; birthDate: string; sex: string; facility: 'north' | 'south' }[] {
  return Object.values(PATIENTS).map((p) => ({ mrn: p.mrn, family: p.family, given: p.given, birthDate: p.birthDate, sex: p.sex, facility: p.facility }));
}
