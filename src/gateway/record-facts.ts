import { sql, type RawBuilder } from 'kysely';
import {
  encounterUpsert,
  factUpsertCtes,
  prepareFacts,
  UPSERTED_FACTS_JSON,
  type EncounterValues,
  type PreparedFacts,
  type UpsertedFact,
} from '../core/clinical/fact-writer.ts';
import {
  existingRecordColumns,
  existingRecordCtes,
  insertRecordCtes,
  type ExistingArgs,
  type ExistingLookup,
  type ExistingRow,
  type InsertArgs,
  type RecordInsert,
} from '../core/identity/resolve.ts';
import type { FactInput } from '../model/clinical.ts';
import type { ProvenanceRecord } from '../model/provenance.ts';
import { fixedStatement } from '../store/fixed-statement.ts';

/**
 * A message's visit (when it registers one) and facts, written by the statement that finds or files the patient's
 * record, instead of one round trip each after it. A round trip cost a message about 130 µs of CPU, the worker's and
 * PostgreSQL's together (docs/gateway.md, "Benchmarks").
 *
 * On a known record the visit and facts are selected joined to the record's row, so when the source has no record yet
 * the lookup writes nothing, and they ride on the new record's insert instead. Facts take the record's patient and
 * their visit: the one the registration writes, else the one a result or order names, found as the separate path finds
 * it (the patient's earliest encounter with that visit number).
 */
export interface RecordRider {
  /** For resolveRecord (RecordArrival.lookup and .insert). */
  lookup: ExistingLookup;
  insert: RecordInsert;
  /** What was written with the record; undefined until the lookup or the insert ran. */
  written(): RiderWrites | undefined;
}

export interface RiderWrites {
  /** The registration's visit (null without one). */
  encounterId: string | null;
  /** The facts' upsert results; undefined when they were not carried (two with one key: see prepareFacts). */
  upserted: readonly UpsertedFact[] | undefined;
  prepared: PreparedFacts | undefined;
}

interface Writes {
  facts: UpsertedFact[];
  visit_id: string | null;
}

/** Who owns the visit and facts: expressions for the record and patient over `from` (`r` for a known record). */
interface Owner {
  from: RawBuilder<unknown> | undefined;
  recordId: RawBuilder<unknown>;
  patientId: RawBuilder<unknown>;
}

const fromKnown: Owner = { from: sql`r`, recordId: sql`r.id`, patientId: sql`r.patient_id` };
const fromNew = (recordId: string, patientId: string): Owner => ({ from: undefined, recordId: sql`${recordId}::uuid`, patientId: sql`${patientId}::uuid` });

/** The facts' CTEs with the visit a result or order names, looked up for the owner's patient. */
function factsNamingVisit(owner: Owner, encounterKey: string | null, rowsJson: string, sourceId: string, derivation: string, sourceTime: Date | null): RawBuilder<unknown> {
  const visit = sql`LEFT JOIN LATERAL (
    SELECT e.id FROM encounters e WHERE e.patient_id = ${owner.patientId} AND e.source_key = ${encounterKey}::text ORDER BY e.created_at LIMIT 1) enc ON true`;
  const from = owner.from ? sql`i CROSS JOIN ${owner.from} ${visit}` : sql`i ${visit}`;
  return factUpsertCtes(rowsJson, sourceId, { from, recordId: owner.recordId, patientId: owner.patientId, encounterId: sql`enc.id` }, encounterKey, derivation, sourceTime);
}

/** The registration's visit (`enc`) and the facts written with it. */
function visitAndFacts(owner: Owner, visit: EncounterValues, rowsJson: string, derivation: string, sourceTime: Date | null): RawBuilder<unknown> {
  const [, , , , , , sourceId, encounterKey] = visit;
  const from = owner.from ? sql`i CROSS JOIN ${owner.from} CROSS JOIN enc` : sql`i CROSS JOIN enc`;
  return sql`
    enc AS (${encounterUpsert({ ...(owner.from ? { from: owner.from } : {}), patientId: owner.patientId, recordId: owner.recordId }, ...visit)}),
    ${factUpsertCtes(rowsJson, sourceId, { from, recordId: owner.recordId, patientId: owner.patientId, encounterId: sql`enc.id` }, encounterKey, derivation, sourceTime)}`;
}

const WRITES = sql`${UPSERTED_FACTS_JSON} AS facts`;

const existingWithFacts = fixedStatement(
  (
    sourceTime: Date | null,
    hash: string,
    sourceId: string,
    recordKey: string,
    demographics: string,
    provenance: string,
    registering: boolean,
    encounterKey: string | null,
    rowsJson: string,
    derivation: string,
  ) => {
    const args: ExistingArgs = [sourceTime, hash, sourceId, recordKey, demographics, provenance, registering, encounterKey];
    return sql<ExistingRow & Writes>`
      WITH ${existingRecordCtes(...args)}, ${factsNamingVisit(fromKnown, encounterKey, rowsJson, sourceId, derivation, sourceTime)}
      SELECT ${existingRecordColumns(...args)}, ${WRITES}, NULL::uuid AS visit_id FROM r`;
  },
);

const existingWithVisit = fixedStatement(
  (
    sourceTime: Date | null,
    hash: string,
    sourceId: string,
    recordKey: string,
    demographics: string,
    provenance: string,
    registering: boolean,
    encounterKey: string | null,
    rowsJson: string,
    derivation: string,
    encounterId: string,
    facilityId: string | null,
    status: string,
    klass: string,
    startsAt: Date | null,
    endsAt: Date | null,
    visitSourceTime: Date | null,
    visitProvenance: string,
    location: string | null,
  ) => {
    const args: ExistingArgs = [sourceTime, hash, sourceId, recordKey, demographics, provenance, registering, encounterKey];
    const visit: EncounterValues = [encounterId, facilityId, status, klass, startsAt, endsAt, sourceId, encounterKey!, visitSourceTime, visitProvenance, location];
    return sql<ExistingRow & Writes>`
      WITH ${existingRecordCtes(...args)}, ${visitAndFacts(fromKnown, visit, rowsJson, derivation, sourceTime)}
      SELECT ${existingRecordColumns(...args)}, ${WRITES}, (SELECT id FROM enc) AS visit_id FROM r`;
  },
);

/** The new record's CTEs name their record `r` too, but it holds only the id: the owner is given by value. */
const insertWithFacts = fixedStatement(
  (
    patientId: string,
    managingFacilityId: string | null,
    demographics: string,
    sourceTime: Date | null,
    created: boolean,
    recordId: string,
    sourceId: string,
    recordKey: string,
    decision: string,
    hash: string,
    provenance: string,
    registering: boolean,
    systems: string[],
    values: string[],
    keys: string[],
    weight: number | null,
    evidence: string | null,
    actor: string,
    messageId: string | null,
    matches: string,
    encounterKey: string | null,
    rowsJson: string,
    derivation: string,
  ) => {
    const args: InsertArgs = [patientId, managingFacilityId, demographics, sourceTime, created, recordId, sourceId, recordKey, decision, hash, provenance, registering, systems, values, keys, weight, evidence, actor, messageId, matches];
    return sql<Writes>`
      WITH ${insertRecordCtes(...args)}, ${factsNamingVisit(fromNew(recordId, patientId), encounterKey, rowsJson, sourceId, derivation, sourceTime)}
      SELECT ${WRITES}, NULL::uuid AS visit_id`;
  },
);

const insertWithVisit = fixedStatement(
  (
    patientId: string,
    managingFacilityId: string | null,
    demographics: string,
    sourceTime: Date | null,
    created: boolean,
    recordId: string,
    sourceId: string,
    recordKey: string,
    decision: string,
    hash: string,
    provenance: string,
    registering: boolean,
    systems: string[],
    values: string[],
    keys: string[],
    weight: number | null,
    evidence: string | null,
    actor: string,
    messageId: string | null,
    matches: string,
    encounterKey: string,
    rowsJson: string,
    derivation: string,
    encounterId: string,
    facilityId: string | null,
    status: string,
    klass: string,
    startsAt: Date | null,
    endsAt: Date | null,
    visitSourceTime: Date | null,
    visitProvenance: string,
    location: string | null,
  ) => {
    const args: InsertArgs = [patientId, managingFacilityId, demographics, sourceTime, created, recordId, sourceId, recordKey, decision, hash, provenance, registering, systems, values, keys, weight, evidence, actor, messageId, matches];
    const visit: EncounterValues = [encounterId, facilityId, status, klass, startsAt, endsAt, sourceId, encounterKey, visitSourceTime, visitProvenance, location];
    return sql<Writes>`
      WITH ${insertRecordCtes(...args)}, ${visitAndFacts(fromNew(recordId, patientId), visit, rowsJson, derivation, sourceTime)}
      SELECT ${WRITES}, (SELECT id FROM enc) AS visit_id`;
  },
);

/**
 * What to write with the record, or undefined when there is nothing to carry (no visit to register and no facts that
 * can share one statement). `visit` is the registration's visit (encounterValues); `encounterKey` is the visit number
 * the facts name, the same the record's lookup is given (RecordArrival.encounterKey), or null.
 */
export function recordRider(provenance: ProvenanceRecord, facts: readonly FactInput[], visit: EncounterValues | undefined, encounterKey: string | null): RecordRider | undefined {
  const prepared = prepareFacts(provenance, facts);
  if (!prepared && !visit) return undefined;
  if (visit && visit[7] !== encounterKey) throw new Error('recordRider: the visit registered is not the visit the facts name');
  const rowsJson = prepared?.json ?? '[]';
  const derivation = provenance.derivation;
  let written: RiderWrites | undefined;
  const keep = (row: Writes) => (written = { encounterId: row.visit_id, upserted: prepared ? row.facts : undefined, prepared });
  return {
    written: () => written,
    lookup: async (db, ...args) => {
      // Each statement binds the visit's source and number from the record's arguments: they must be the same.
      if (args[7] !== encounterKey || (visit && visit[6] !== args[2])) throw new Error('recordRider: the lookup names another source or visit than the rider');
      const row = visit
        ? (await existingWithVisit(db, ...args, rowsJson, derivation, visit[0], visit[1], visit[2], visit[3], visit[4], visit[5], visit[8], visit[9], visit[10])).rows[0]
        : (await existingWithFacts(db, ...args, rowsJson, derivation)).rows[0];
      if (row) keep(row);
      return row;
    },
    insert: async (db, ...args) => {
      if (visit && visit[6] !== args[6]) throw new Error('recordRider: the insert names another source than the rider');
      const row = visit
        ? (await insertWithVisit(db, ...args, visit[7], rowsJson, derivation, visit[0], visit[1], visit[2], visit[3], visit[4], visit[5], visit[8], visit[9], visit[10])).rows[0]
        : (await insertWithFacts(db, ...args, encounterKey, rowsJson, derivation)).rows[0];
      keep(row!);
    },
  };
}
