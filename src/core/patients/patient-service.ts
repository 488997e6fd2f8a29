import { sql, type SqlBool } from 'kysely';
import { decide, patientFieldsOf, type Decision } from '../../controls/access/pdp.ts';
import { loadPatientRelation, patientRowFilter } from '../../controls/access/relations.ts';
import type { RequestFacts, Subject } from '../../controls/access/subject.ts';
import { recordAudit, recordAuditMany, type AuditEventInput } from '../../controls/audit/audit-event.ts';
import { ForbiddenError, NotFoundError } from '../../errors.ts';
import type { Store, Tx } from '../../store/store.ts';
import { projectPatient, toFhirPatient, type FhirPatient } from './fhir-patient.ts';

/**
 * Patients as the API sees them. Every read asks the decision point with the patient's relation to the caller, and
 * writes its audit event in the same transaction as the read: a failed audit write means no data.
 */
export interface PatientSearch {
  name?: string;
  family?: string;
  given?: string;
  identifier?: string;
  birthdate?: string;
  count: number;
  offset: number;
}

export interface PatientPage {
  total: number;
  patients: FhirPatient[];
}

/** A refusal by the decision point, with the audit event that must record it. */
export class DeniedAccess extends ForbiddenError {
  constructor(
    reason: string,
    readonly event: AuditEventInput,
  ) {
    super(reason, "You may not open this patient's record. If this is an emergency, use break-glass.");
  }
}

/**
 * Stored patients as FHIR, unprojected (callers must hold a decision and cut each to its fields), in the order of
 * `ids`: two statements for a whole page, however long.
 */
export async function loadPatients(trx: Tx, ids: readonly string[]): Promise<FhirPatient[]> {
  if (ids.length === 0) return [];
  const rows = await trx.selectFrom('patients').selectAll().where('id', 'in', [...ids]).execute();
  const identifiers = await trx.selectFrom('patient_identifiers').select(['patient_id', 'system', 'value']).where('patient_id', 'in', [...ids]).orderBy('system').orderBy('value').execute();
  const byId = new Map(rows.map((row) => [row.id, row]));
  return ids.flatMap((id) => {
    const row = byId.get(id);
    return row ? [toFhirPatient(row, identifiers.filter((i) => i.patient_id === id))] : [];
  });
}

export async function loadPatient(trx: Tx, id: string): Promise<FhirPatient | undefined> {
  return (await loadPatients(trx, [id]))[0];
}

export class PatientService {
  constructor(private readonly store: Store) {}

  /**
   * Asks the decision point about one patient inside `trx`. A refusal throws a DeniedAccess that carries its audit
   * event: `audited` writes it in a transaction of its own once the caller's has rolled back (one connection on the
   * embedded engine: no nested transactions).
   */
  async authorize(trx: Tx, subject: Subject, action: string, patientId: string, resourceType = 'Patient'): Promise<Decision> {
    const relation = await loadPatientRelation(trx, subject, patientId);
    const decision = decide({ subject, action, patient: relation });
    if (!decision.permit) {
      throw new DeniedAccess(decision.reason, {
        action,
        actionCode: 'R',
        resourceType,
        resourceIds: [patientId.slice(0, 64)],
        patientId: relation.exists ? patientId : null,
        outcome: 'denied',
        reasonCode: decision.reason,
      });
    }
    if (!relation.exists) throw new NotFoundError('No patient has this id.');
    return decision;
  }

  /** Runs `fn`; if it was refused, records the refusal and rethrows. */
  async audited<T>(subject: Subject, facts: RequestFacts, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof DeniedAccess) await this.store.tx((trx) => recordAudit(trx, subject, facts, err.event));
      throw err;
    }
  }

  async read(subject: Subject, facts: RequestFacts, patientId: string): Promise<{ patient: FhirPatient; decision: Decision }> {
    return this.audited(subject, facts, () => this.store.tx(async (trx) => {
      const decision = await this.authorize(trx, subject, 'patient.read', patientId);
      const patient = await loadPatient(trx, patientId);
      if (!patient) throw new NotFoundError('No patient has this id.');
      // An access that only break-glass allowed is emergency treatment, whatever the caller declared.
      await recordAudit(trx, subject, decision.breakGlass ? { ...facts, purposeOfUse: 'ETREAT' } : facts, {
        action: 'patient.read',
        actionCode: 'R',
        resourceType: 'Patient',
        resourceIds: [patientId],
        patientId,
        outcome: 'success',
        reasonCode: decision.reason,
        breakGlass: decision.breakGlass,
      });
      return { patient: projectPatient(patient, decision.patientFields), decision };
    }));
  }

  /** Filtered by the row filter in SQL: totals and pages count only patients the caller may see. */
  async search(subject: Subject, facts: RequestFacts, query: PatientSearch): Promise<PatientPage> {
    const filter = patientRowFilter(subject, 'patient.search');
    if (!filter) throw new ForbiddenError('deny-role', 'Your roles do not include searching patients.');
    return this.store.tx(async (trx) => {
      // A patient merged into another is an empty shell: search finds the survivor, never both.
      let q = trx.selectFrom('patients as p').where(filter as unknown as never).where('p.merged_into', 'is', null);
      const conditions: ReturnType<typeof sql<SqlBool>>[] = [];
      if (query.name) {
        const like = `%${escapeLike(query.name.toLowerCase())}%`;
        conditions.push(sql<SqlBool>`(lower(p.family_name) like ${like} or lower(p.given_names) like ${like})`);
      }
      if (query.family) conditions.push(sql<SqlBool>`lower(p.family_name) like ${`${escapeLike(query.family.toLowerCase())}%`}`);
      if (query.given) conditions.push(sql<SqlBool>`lower(p.given_names) like ${`%${escapeLike(query.given.toLowerCase())}%`}`);
      if (query.birthdate) conditions.push(sql<SqlBool>`p.birth_date = ${query.birthdate}::date`);
      if (query.identifier) {
        const bar = query.identifier.indexOf('|');
        const system = bar >= 0 ? query.identifier.slice(0, bar) : null;
        const value = bar >= 0 ? query.identifier.slice(bar + 1) : query.identifier;
        conditions.push(
          system
            ? sql<SqlBool>`exists (select 1 from patient_identifiers i where i.patient_id = p.id and i.system = ${system} and i.value = ${value})`
            : sql<SqlBool>`exists (select 1 from patient_identifiers i where i.patient_id = p.id and i.value = ${value})`,
        );
      }
      for (const c of conditions) q = q.where(c as unknown as never);
      const { total } = await q.select(sql<string>`count(*)`.as('total')).executeTakeFirstOrThrow();
      const rows = await q.select('p.id').orderBy('p.family_name').orderBy('p.given_names').orderBy('p.id').limit(query.count).offset(query.offset).execute();
      const fields = patientFieldsOf(subject);
      const patients = (await loadPatients(trx, rows.map((r) => r.id))).map((p) => projectPatient(p, fields));
      const ids = patients.map((p) => p.id);
      // The search, and each patient shown (an access to that patient's record: the access report lists it).
      await recordAuditMany(trx, subject, facts, [
        {
          action: 'patient.search',
          actionCode: 'E',
          resourceType: 'Patient',
          resourceIds: ids,
          outcome: 'success',
          query: { ...query },
          details: { total: Number(total), returned: ids.length },
        },
        ...ids.map((id) => ({ action: 'patient.search-hit', actionCode: 'R' as const, resourceType: 'Patient', resourceIds: [id], patientId: id, outcome: 'success' as const })),
      ]);
      return { total: Number(total), patients };
    });
  }
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}
