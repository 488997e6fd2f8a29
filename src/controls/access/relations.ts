import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { Db, Tx } from '../../store/store.ts';
import type { PatientRelation } from './pdp.ts';
import { reachesFor, clientMayDo } from './pdp.ts';
import type { Action } from './policy.ts';
import type { PersonSubject, Subject } from './subject.ts';
import { validate as isUuid } from 'uuid';

/**
 * The facts the decision point needs, loaded by one database function (access_patient_relation), and the same rules written as a
 * SQL condition for searches, so a search is filtered by the database (counts and pages never see other patients).
 * Both must say the same thing: the authorization matrix test runs reads and searches over the same cells.
 */

// An assignment (to a team or a person) that holds now.
const activeAssignment = (patient: RawBuilder<unknown>, personId: RawBuilder<unknown>) => sql<SqlBool>`exists (
  select 1 from patient_assignments pa
   where pa.patient_id = ${patient} and pa.starts_at <= now() and (pa.ends_at is null or pa.ends_at > now())
     and (pa.person_id = ${personId}
          or pa.team_id in (select m.team_id from care_team_members m where m.person_id = ${personId})))`;

const inCareOf = (patient: RawBuilder<unknown>, me: string) => activeAssignment(patient, sql`${me}::uuid`);

const coveredNow = (patient: RawBuilder<unknown>, me: string) => sql<SqlBool>`exists (
  select 1 from coverage c
   where c.covering_person_id = ${me}::uuid and c.starts_at <= now() and c.ends_at > now()
     and ${activeAssignment(patient, sql`c.covered_person_id`)})`;

const atMyFacility = (patient: RawBuilder<unknown>, me: string) => sql<SqlBool>`(
  exists (select 1 from patients fp join person_facilities pf on pf.facility_id = fp.managing_facility_id
           where fp.id = ${patient} and pf.person_id = ${me}::uuid)
  or exists (select 1 from encounters fe join person_facilities pf on pf.facility_id = fe.facility_id
              where fe.patient_id = ${patient} and fe.status = 'active' and pf.person_id = ${me}::uuid))`;

const breakGlassNow = (patient: RawBuilder<unknown>, me: string) => sql<SqlBool>`exists (
  select 1 from break_glass_grants g
   where g.person_id = ${me}::uuid and g.patient_id = ${patient} and g.ended_at is null and g.expires_at > now())`;

interface RelationRow {
  id: string;
  security_labels: string[];
  managing_facility_id: string | null;
  active_encounter_facilities: string[] | null;
  in_care: boolean;
  coverage: 'active' | 'ended' | null;
  grant_id: string | null;
  grant_expires_at: Date | null;
}

/** One patient's relation to a person. An unknown patient id comes back as `exists: false` with no relation at all. */
export async function loadPatientRelation(db: Db | Tx, subject: Subject, patientId: string): Promise<PatientRelation> {
  const none: PatientRelation = { patientId, exists: false, securityLabels: [], facilityIds: [], activeEncounterFacilityIds: [], inCare: false, coverage: 'none', breakGlass: null };
  if (!isUuid(patientId)) return none;
  if (subject.kind === 'client') {
    const row = await db.selectFrom('patients').select(['id', 'security_labels', 'managing_facility_id']).where('id', '=', patientId).executeTakeFirst();
    return row ? { ...none, exists: true, securityLabels: row.security_labels, facilityIds: row.managing_facility_id ? [row.managing_facility_id] : [] } : none;
  }
  // The rules live in access_patient_relation (migration 0005), planned once per connection.
  const result = await sql<RelationRow>`select * from access_patient_relation(${subject.id}::uuid, ${patientId}::uuid)`.execute(db);
  const row = result.rows[0];
  if (!row) return none;
  const encounterFacilities = row.active_encounter_facilities ?? [];
  const facilities = new Set(encounterFacilities);
  if (row.managing_facility_id) facilities.add(row.managing_facility_id);
  return {
    patientId,
    exists: true,
    securityLabels: row.security_labels,
    facilityIds: [...facilities],
    activeEncounterFacilityIds: encounterFacilities,
    inCare: row.in_care,
    coverage: row.coverage ?? 'none',
    breakGlass: row.grant_id ? { grantId: row.grant_id, expiresAt: new Date(row.grant_expires_at!) } : null,
  };
}


/**
 * The SQL condition over `patients p` that admits exactly the patients `subject` may reach for `action`, or null when
 * the subject may reach none (the caller answers 403 without querying). Security labels are not filtered here:
 * searches return identity fields, which labels do not restrict.
 */
export function patientRowFilter(subject: Subject, action: Action): RawBuilder<SqlBool> | null {
  if (subject.kind === 'client') return clientMayDo(subject.scopes, action) ? sql<SqlBool>`true` : null;
  return personRowFilter(subject, action);
}

function personRowFilter(subject: PersonSubject, action: Action): RawBuilder<SqlBool> | null {
  const reaches = reachesFor(subject.roles, action);
  if (reaches.has('organization')) return sql<SqlBool>`true`;
  const me = subject.id;
  const p = sql`p.id`;
  const relations: RawBuilder<SqlBool>[] = [];
  if (reaches.has('care')) relations.push(inCareOf(p, me), coveredNow(p, me));
  else if (reaches.has('coverage')) relations.push(coveredNow(p, me));
  const facilityWide = reaches.has('facility');
  const parts: RawBuilder<SqlBool>[] = [];
  if (facilityWide) parts.push(atMyFacility(p, me));
  else if (relations.length > 0) parts.push(sql<SqlBool>`((${sql.join(relations, sql` or `)}) and ${atMyFacility(p, me)})`);
  if ((reaches.has('care') || reaches.has('coverage')) && reachesFor(subject.roles, 'break-glass').size > 0) parts.push(breakGlassNow(p, me));
  if (parts.length === 0) return null;
  return sql<SqlBool>`(${sql.join(parts, sql` or `)})`;
}
