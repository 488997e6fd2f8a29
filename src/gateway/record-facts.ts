import { sql, type RawBuilder } from 'kysely';
import {
  ENCOUNTER_ARITY,
  encounterUpsert,
  factUpsertCtes,
  namedEncounter,
  prepareFacts,
  UPSERTED_FACTS_JSON,
  type EncounterValues,
  type PreparedFacts,
  type UpsertedFact,
} from '../core/clinical/fact-writer.ts';
import {
  EXISTING_COLUMNS,
  existingRecordCtes,
  insertRecordCtes,
  type ExistingArgs,
  EXISTING_ARITY,
  INSERT_ARITY,
  type ExistingLookup,
  type ExistingRow,
  type InsertArgs,
  type RecordInsert,
} from '../core/identity/resolve.ts';
import type { FactInput } from '../model/clinical.ts';
import type { ProvenanceRecord } from '../model/provenance.ts';
import { fixedStatement } from '../store/fixed-statement.ts';
import { InvariantError } from '../errors.ts';

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
  const visit = sql`LEFT JOIN LATERAL (${namedEncounter(owner.patientId, sql`${encounterKey}::text`)}) enc ON true`;
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

/** The facts' rows (PreparedFacts.json) and their derivation, after the record's arguments. */
type FactArgs = [rowsJson: string, derivation: string];

const existingWithFacts = fixedStatement((...a: [...ExistingArgs, ...FactArgs]) => {
  const args = a.slice(0, EXISTING_ARITY) as ExistingArgs;
  const [rowsJson, derivation] = a.slice(EXISTING_ARITY) as FactArgs;
  return sql<ExistingRow & Writes>`
    WITH ${existingRecordCtes(...args)}, ${factsNamingVisit(fromKnown, args[7], rowsJson, args[2], derivation, args[0])}
    SELECT ${EXISTING_COLUMNS}, ${WRITES}, NULL::uuid AS visit_id FROM r`;
}, EXISTING_ARITY + 2);

const existingWithVisit = fixedStatement((...a: [...ExistingArgs, ...FactArgs, ...EncounterValues]) => {
  const args = a.slice(0, EXISTING_ARITY) as ExistingArgs;
  const [rowsJson, derivation] = a.slice(EXISTING_ARITY, EXISTING_ARITY + 2) as FactArgs;
  return sql<ExistingRow & Writes>`
    WITH ${existingRecordCtes(...args)}, ${visitAndFacts(fromKnown, a.slice(EXISTING_ARITY + 2) as EncounterValues, rowsJson, derivation, args[0])}
    SELECT ${EXISTING_COLUMNS}, ${WRITES}, (SELECT id FROM enc) AS visit_id FROM r`;
}, EXISTING_ARITY + 2 + ENCOUNTER_ARITY);

/** The new record's CTEs name their record `r` too, but it holds only the id: the owner is given by value. */
const insertWithFacts = fixedStatement((...a: [...InsertArgs, encounterKey: string | null, ...FactArgs]) => {
  const args = a.slice(0, INSERT_ARITY) as InsertArgs;
  const [encounterKey, rowsJson, derivation] = a.slice(INSERT_ARITY) as [string | null, ...FactArgs];
  const [patientId, , , sourceTime, , recordId, sourceId] = args;
  return sql<Writes>`
    WITH ${insertRecordCtes(...args)}, ${factsNamingVisit(fromNew(recordId, patientId), encounterKey, rowsJson, sourceId, derivation, sourceTime)}
    SELECT ${WRITES}, NULL::uuid AS visit_id`;
}, INSERT_ARITY + 3);

const insertWithVisit = fixedStatement((...a: [...InsertArgs, ...FactArgs, ...EncounterValues]) => {
  const args = a.slice(0, INSERT_ARITY) as InsertArgs;
  const [rowsJson, derivation] = a.slice(INSERT_ARITY, INSERT_ARITY + 2) as FactArgs;
  const [patientId, , , sourceTime, , recordId] = args;
  return sql<Writes>`
    WITH ${insertRecordCtes(...args)}, ${visitAndFacts(fromNew(recordId, patientId), a.slice(INSERT_ARITY + 2) as EncounterValues, rowsJson, derivation, sourceTime)}
    SELECT ${WRITES}, (SELECT id FROM enc) AS visit_id`;
}, INSERT_ARITY + 2 + ENCOUNTER_ARITY);

/**
 * What to write with the record, or undefined when there is nothing to carry (no visit to register and no facts that
 * can share one statement). `visit` is the registration's visit (encounterValues); `encounterKey` is the visit number
 * the facts name, the same the record's lookup is given (RecordArrival.encounterKey), or null.
 */
export function recordRider(provenance: ProvenanceRecord, facts: readonly FactInput[], visit: EncounterValues | undefined, encounterKey: string | null): RecordRider | undefined {
  const prepared = prepareFacts(provenance, facts);
  if (!prepared && !visit) return undefined;
  if (visit && visit[7] !== encounterKey) throw new InvariantError('recordRider: the visit registered is not the visit the facts name');
  const rowsJson = prepared?.json ?? '[]';
  const derivation = provenance.derivation;
  let written: RiderWrites | undefined;
  const keep = (row: Writes) => (written = { encounterId: row.visit_id, upserted: prepared ? row.facts : undefined, prepared });
  return {
    written: () => written,
    lookup: async (db, ...args) => {
      // The facts name the visit the record's lookup is given (and a registration's visit is that one, checked above).
      if (args[7] !== encounterKey || (visit && visit[6] !== args[2])) throw new InvariantError('recordRider: the lookup names another source or visit than the rider');
      const row = visit ? (await existingWithVisit(db, ...args, rowsJson, derivation, ...visit)).rows[0] : (await existingWithFacts(db, ...args, rowsJson, derivation)).rows[0];
      if (row) keep(row);
      return row;
    },
    insert: async (db, ...args) => {
      if (visit && visit[6] !== args[6]) throw new InvariantError('recordRider: the insert names another source than the rider');
      const row = visit ? (await insertWithVisit(db, ...args, rowsJson, derivation, ...visit)).rows[0] : (await insertWithFacts(db, ...args, encounterKey, rowsJson, derivation)).rows[0];
      keep(row!);
    },
  };
}
