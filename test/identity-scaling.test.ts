import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { refreshGoldenRecords } from '../src/core/identity/golden-record.ts';
import { resolveRecord, type RecordArrival } from '../src/core/identity/resolve.ts';
import { knownIdentifiers } from '../src/gateway/apply.ts';
import { SourceRegistry } from '../src/gateway/sources.ts';
import type { PatientRecordInput } from '../src/model/clinical.ts';
import { defaultMatchEngine } from '../src/runtime/match-engine.ts';
import type { Tx } from '../src/store/store.ts';
import { useTestStore } from './support/test-db.ts';

/**
 * Resolving a patient record must cost what its blocks cost, never what the whole index costs: the lookups reach
 * records and identifiers by key, in a form the planner cannot flatten into a join over a table (docs/identity.md). With
 * 1,000 people on file and current statistics, the test asks PostgreSQL's own per-transaction counters whether any of
 * those tables was read whole while a new person was matched, a known one updated, identifiers checked and golden
 * records refreshed. Before the lookups were rewritten, the matcher's search and the identifier checks read them whole.
 */
const MRN = 'urn:oid:2.16.840.1.113883.19.5';
const FAMILIES = ['Okafor', 'Lindqvist', 'Marchetti', 'Nakamura', 'Oyelaran', 'Petrov', 'Quintero', 'Rasmussen'];
const GIVENS = ['Amara', 'Bjorn', 'Chiara', 'Daisuke', 'Efua', 'Fyodor', 'Graciela', 'Henrik'];
/**
 * The tables looked up by key (a record id, an identifier, a blocking key). `patients` is left out: it is looked up by
 * a list of ids (`= ANY`), which PostgreSQL rightly reads whole while the table is a few pages.
 */
const WATCHED = ['patient_records', 'patient_identifiers', 'patient_match_keys', 'patient_record_identifiers'];

function person(i: number): PatientRecordInput {
  return {
    identifiers: [{ system: MRN, value: `SC-${i}`, type: 'MR' }],
    family: FAMILIES[i % FAMILIES.length]!,
    given: [GIVENS[Math.floor(i / FAMILIES.length) % GIVENS.length]!],
    birthDate: `19${String(40 + (i % 50)).padStart(2, '0')}-0${1 + (i % 9)}-1${i % 10}`,
    sex: i % 2 ? 'male' : 'female',
    // Phone numbers shared by a dozen people each: blocks of a realistic, small size.
    phone: `555010${String(i % 25).padStart(2, '0')}`,
    flags: [],
  };
}

function arrival(sourceId: string, record: PatientRecordInput): RecordArrival {
  const provenance = { derivation: 'asserted' as const, sourceId, sourceName: 'scale-adt', messageId: uuidv7(), receivedAt: new Date().toISOString(), transform: 'test profile 1', confidence: 1, flags: [] };
  return { sourceId, recordKey: record.identifiers[0]!, record, sourceTime: new Date('2024-03-01T08:00:00Z'), provenance, messageId: null, actor: 'test', registering: true };
}

/** Sequential scans of the watched tables in this transaction so far. */
async function scans(trx: Tx): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of WATCHED) {
    const r = await sql<{ n: string }>`SELECT pg_stat_get_xact_numscans(${table}::regclass::oid) AS n`.execute(trx);
    out[table] = Number(r.rows[0]!.n);
  }
  return out;
}

describe('resolving a record reads the identity index by key, not whole', () => {
  const store = useTestStore();

  it('with 1,000 people on file, a new person, a returning one, an identifier check and a golden-record refresh read no identity table whole', { timeout: 120_000 }, async () => {
    const engine = defaultMatchEngine();
    const sourceId = await store().tx(async (trx) => (await new SourceRegistry().add(trx, { name: 'scale-adt', kind: 'hl7v2', msh3: 'SCALEADT', msh4: 'SCALE' }, { actorName: 'test' })).id);
    await store().tx(async (trx) => {
      for (let i = 0; i < 1000; i++) await resolveRecord(trx, arrival(sourceId, person(i)), engine);
    });
    for (const table of WATCHED) await sql`ANALYZE ${sql.table(table)}`.execute(store().db);

    await store().tx(async (trx) => {
      const before = await scans(trx);
      // Someone new, sharing a phone number and a name with people already known: the matcher's blocks are searched.
      const stranger = { ...person(7), identifiers: [{ system: MRN, value: 'SC-NEW', type: 'MR' }], birthDate: '1990-12-28' };
      const created = await resolveRecord(trx, arrival(sourceId, stranger), engine);
      // Someone known, with a new address: the record is found by its identifier and updated.
      const known = await resolveRecord(trx, { ...arrival(sourceId, { ...person(3), address: { line: '9 Quay Street', city: 'Springfield', postalCode: '01105' } }), sourceTime: new Date('2024-03-02T08:00:00Z') }, engine);
      await knownIdentifiers(trx, [stranger.identifiers[0]!, { system: MRN, value: 'SC-12' }, { system: MRN, value: 'SC-UNKNOWN' }]);
      await refreshGoldenRecords(trx, [created.patientId, known.patientId]);
      const after = await scans(trx);
      const scanned = WATCHED.filter((t) => after[t]! > before[t]!);
      assert.deepEqual(scanned, [], `tables read whole while resolving: ${scanned.join(', ')}`);
    });
  });
});
