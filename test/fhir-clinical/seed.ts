import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { writeFact } from '../../src/core/clinical/fact-writer.ts';
import { RawMllpClient } from '../support/raw-mllp-client.ts';
import type { FactInput } from '../../src/model/clinical.ts';
import { buildAccessFixture, MRN_SYSTEM, signIn, type AccessFixture, type Relation } from '../support/access-fixture.ts';
import { adt, LAB, NORTH, oru, PERSON_1, PERSON_2, type Person, type ResultLine } from '../support/hl7-builder.ts';
import { startTestVigil, type TestVigil } from '../support/in-process.ts';
import { sendForAck } from '../support/mllp-send.ts';
import { waitFor } from '../support/wait.ts';

/**
 * Clinical data for the chart tests, put where a hospital would put it: HL7 v2 over MLLP from an ADT feed, a lab and
 * a pharmacy, about the access fixture's patients (their MRNs, so the index links each message to the fixture patient).
 * The HL7 mapping does not yet produce allergies, conditions, medication statements, dispenses or documents, so those
 * are written with the gateway's own fact writer, as a FHIR or file adapter will.
 */
export const RX = { app: 'NORTHRX', facility: 'NORTH' };
export const EHR = { app: 'NORTHEHR', facility: 'NORTH' };

export interface Seeded {
  fixture: AccessFixture;
  sources: Record<'adt' | 'lab' | 'rx' | 'ehr', string>;
  /** Fact ids by a name the tests use. */
  facts: Record<string, string>;
  encounterId: string;
}

export const ROLE_SETS = ['physician', 'nurse', 'billing-specialist', 'physician+behavioral-health', 'privacy-officer', 'covering-clinician'] as const;

function personFor(fixture: AccessFixture, relation: Relation): Person {
  if (relation === 'own-team') return PERSON_1;
  if (relation === 'other-team') return PERSON_2;
  return { mrn: fixture.patients[relation].mrn, family: `Fixture-${relation}`, given: 'Pat', birthDate: '19700101', sex: 'F', phone: '5550000000' };
}

/** An MSH segment from `s`, for tests that write their own messages. */
export const msh = (s: { app: string; facility: string }, time: string, type: string, control: string) => `MSH|^~\\&|${s.app}|${s.facility}|VIGIL|CENTRAL|${time}||${type}|${control}|P|2.5.1`;
/** A PID segment with the person's MRN, name, birth date and sex (no address or phone). */
export const pid = (p: Person) => `PID|1||${p.mrn}^^^NORTH^MR||${p.family}^${p.given}||${p.birthDate}|${p.sex}`;

export function pharmacyOrder(p: Person, control: string, time: string, order: string): string {
  return [
    msh(RX, time, 'RDE^O11^RDE_O11', control),
    pid(p),
    `ORC|NW|${order}^EHR|${order}F^PHARM||A||||${time}|||DR123^Prescott^Ann`,
    `RXE|^BID^^${time}|197806^Ibuprofen 400 MG Oral Tablet^RXNORM|400||mg^^UCUM||^Take with food|||30|TAB`,
    'RXR|PO^Oral^HL70162',
  ].join('\r') + '\r';
}

export function administration(p: Person, control: string, time: string, order: string): string {
  return [msh(RX, time, 'RAS^O17^RAS_O17', control), pid(p), `ORC|RE|${order}^EHR|${order}F^PHARM`, `RXA|0|1|${time}||197806^Ibuprofen 400 MG Oral Tablet^RXNORM|400|mg^^UCUM||||||||||||CP`, 'RXR|PO^Oral^HL70162'].join('\r') + '\r';
}

export async function seedClinical(t: TestVigil): Promise<Seeded> {
  const store = t.vigil.store;
  const fixture = await buildAccessFixture(store, t.vigil.config, ROLE_SETS);
  const profile = { timeZone: 'America/New_York', identifiers: { systems: { NORTH: MRN_SYSTEM } }, facilityId: fixture.north };
  const actor = { actorName: 'test' };
  const sources = await store.tx(async (trx) => ({
    adt: (await t.vigil.gateway.registry.add(trx, { name: 'north-adt', kind: 'hl7v2', msh3: NORTH.app, msh4: NORTH.facility, profile }, actor)).id,
    lab: (await t.vigil.gateway.registry.add(trx, { name: 'north-lab', kind: 'hl7v2', msh3: LAB.app, msh4: LAB.facility, profile }, actor)).id,
    rx: (await t.vigil.gateway.registry.add(trx, { name: 'north-rx', kind: 'hl7v2', msh3: RX.app, msh4: RX.facility, profile }, actor)).id,
    ehr: (await t.vigil.gateway.registry.add(trx, { name: 'north-ehr', kind: 'hl7v2', msh3: EHR.app, msh4: EHR.facility, profile }, actor)).id,
  }));

  const client = await RawMllpClient.connect(t.vigil.mllpPort()!);
  const controls: string[] = [];
  const send = async (message: string, control: string) => {
    const ack = await sendForAck(client, message);
    if (ack.get('MSA-1') !== 'AA') throw new Error(`message ${control} was not accepted`);
    controls.push(control);
  };
  try {
    const own = personFor(fixture, 'own-team');
    const line = (code: string, name: string, value: string, status: ResultLine['status']): ResultLine => ({ code, name, value, unit: 'mg/dL', status });
    await send(adt(NORTH, 'A01', own, 'C-A01-OWN', '20240301080000', 'V100'), 'C-A01-OWN');
    await send(oru(LAB, own, 'C-ORU-FINAL', '20240301090000', 'ORD-100', [line('2345-7', 'Glucose', '98', 'F'), line('2823-3', 'Potassium', '4.1', 'F')], 'F'), 'C-ORU-FINAL');
    await send(oru(LAB, own, 'C-ORU-PRELIM', '20240301093000', 'ORD-200', [line('718-7', 'Hemoglobin', '13.2', 'P')], 'P'), 'C-ORU-PRELIM');
    // One result in three versions, the correction first: the newest source time is current, whatever the order.
    await send(oru(LAB, own, 'C-ORU-CHOL-C', '20240301120000', 'ORD-300', [line('2093-3', 'Cholesterol', '190', 'C')], 'C'), 'C-ORU-CHOL-C');
    await send(oru(LAB, own, 'C-ORU-CHOL-P', '20240301100000', 'ORD-300', [line('2093-3', 'Cholesterol', '180', 'P')], 'P'), 'C-ORU-CHOL-P');
    await send(oru(LAB, own, 'C-ORU-CHOL-F', '20240301110000', 'ORD-300', [line('2093-3', 'Cholesterol', '185', 'F')], 'F'), 'C-ORU-CHOL-F');
    await send(pharmacyOrder(own, 'C-RDE-1', '20240301100000', 'RX-1'), 'C-RDE-1');
    await send(administration(own, 'C-RAS-1', '20240301120000', 'RX-1'), 'C-RAS-1');
    for (const relation of ['other-team', 'sensitive-label', 'break-glass-active', 'own-team-no-encounter'] as const) {
      const control = `C-ORU-${relation}`;
      await send(oru(LAB, personFor(fixture, relation), control, '20240302090000', `ORD-${relation}`, [line('2345-7', 'Glucose', '101', 'F')], 'F'), control);
    }
  } finally {
    client.destroy();
  }
  await waitFor(
    'every message to be processed',
    async () => {
      const rows = await store.db.selectFrom('gateway_messages').select(['control_id', 'state']).where('control_id', 'in', controls).execute();
      return rows.length === controls.length && rows.every((r) => r.state === 'processed');
    },
    20_000,
  );

  const ownId = fixture.patients['own-team'].id;
  const record = await store.db.selectFrom('patient_records').select('id').where('patient_id', '=', ownId).where('source_id', '=', sources.adt).executeTakeFirstOrThrow();
  const encounter = await store.db.selectFrom('encounters').select('id').where('source_id', '=', sources.adt).where('source_key', '=', 'V100').executeTakeFirstOrThrow();
  const facts: Record<string, string> = {};
  const at = (iso: string) => ({ instant: iso, zoneFrom: 'profile' as const, zone: 'America/New_York', precision: 'minute' as const });
  const ehrFacts: Record<string, FactInput> = {
    allergy: { kind: 'allergy', sourceKey: 'AL-1', status: 'active', code: { codings: [{ system: 'http://snomed.info/sct', code: '91936005', display: 'Allergy to penicillin' }] }, effective: at('2024-02-01T10:00:00.000Z'), body: { category: 'medication', criticality: 'high', reaction: 'Hives' }, position: 'AL1', flags: [] },
    problem: { kind: 'condition', sourceKey: 'PRB-1', status: 'active', code: { codings: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'E11.9', display: 'Type 2 diabetes mellitus' }] }, effective: at('2023-05-01T10:00:00.000Z'), body: { category: 'problem-list-item', onset: { ...at('2019-01-01T05:00:00.000Z'), precision: 'year' } }, position: 'PRB', flags: [] },
    inferredProblem: { kind: 'condition', sourceKey: 'PRB-2', status: 'unconfirmed', code: { codings: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'I10', display: 'Essential hypertension' }] }, effective: at('2024-02-02T10:00:00.000Z'), body: { category: 'problem-list-item' }, position: 'PRB[2]', flags: [{ code: 'code-mapped-by-profile', at: 'PRB[2]-3' }] },
    statement: { kind: 'medication-statement', sourceKey: 'MS-1', status: 'active', code: { codings: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '860975', display: 'Metformin 500 MG' }] }, effective: at('2024-01-15T10:00:00.000Z'), body: { dosage: { text: '500 mg twice daily' } }, position: 'RXO', flags: [] },
    dispense: { kind: 'medication-dispense', sourceKey: 'MD-1', status: 'completed', code: { codings: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '197806', display: 'Ibuprofen' }] }, effective: at('2024-03-01T11:00:00.000Z'), body: { quantity: { value: 30, unit: 'TAB' } }, position: 'RXD', flags: [] },
    document: { kind: 'document', sourceKey: 'DOC-1', status: 'current', code: { codings: [{ system: 'http://loinc.org', code: '18842-5', display: 'Discharge summary' }] }, effective: at('2024-03-02T10:00:00.000Z'), body: { title: 'Discharge summary', contentType: 'text/plain', size: 2048 }, position: 'TXA', flags: [] },
  };
  await store.tx(async (trx) => {
    for (const [name, fact] of Object.entries(ehrFacts)) {
      const provenance = { derivation: 'asserted' as const, sourceId: sources.ehr, sourceName: 'north-ehr', messageId: uuidv7(), receivedAt: new Date().toISOString(), transform: 'test-seed@1 profile 1', confidence: 1, flags: [] };
      facts[name] = await writeFact(trx, { sourceId: sources.ehr, recordId: record.id, patientId: ownId, encounterId: name === 'document' ? encounter.id : null, encounterKey: null, provenance }, fact, new Date('2024-03-02T12:00:00Z'));
    }
    // The writer records every fact as asserted; a transform that inferred one would set this (see the report).
    await sql`update clinical_facts set derivation = 'inferred', confidence = 0.6 where id = ${facts['inferredProblem']}`.execute(trx);
    await sql`update gateway_feeds set stale_since = now() - interval '2 hours' where source_id = ${sources.lab}`.execute(trx);
  });
  const byCode = async (patientId: string, kind: string, code: string) =>
    (await store.db.selectFrom('clinical_facts').select('id').where('patient_id', '=', patientId).where('kind', '=', kind).where('code', '=', code).executeTakeFirstOrThrow()).id;
  facts['glucose'] = await byCode(ownId, 'observation', '2345-7');
  facts['potassium'] = await byCode(ownId, 'observation', '2823-3');
  facts['hemoglobin'] = await byCode(ownId, 'observation', '718-7');
  facts['cholesterol'] = await byCode(ownId, 'observation', '2093-3');
  facts['order'] = (await store.db.selectFrom('clinical_facts').select('id').where('patient_id', '=', ownId).where('kind', '=', 'medication-request').executeTakeFirstOrThrow()).id;
  facts['administration'] = (await store.db.selectFrom('clinical_facts').select('id').where('patient_id', '=', ownId).where('kind', '=', 'medication-administration').executeTakeFirstOrThrow()).id;
  const reports = await store.db.selectFrom('clinical_facts').select(['id', 'status', 'source_key']).where('patient_id', '=', ownId).where('kind', '=', 'diagnostic-report').execute();
  facts['finalReport'] = reports.find((r) => r.source_key.includes('ORD-100'))!.id;
  facts['prelimReport'] = reports.find((r) => r.source_key.includes('ORD-200'))!.id;
  facts['otherTeamGlucose'] = await byCode(fixture.patients['other-team'].id, 'observation', '2345-7');
  facts['labelledGlucose'] = await byCode(fixture.patients['sensitive-label'].id, 'observation', '2345-7');
  facts['breakGlassGlucose'] = await byCode(fixture.patients['break-glass-active'].id, 'observation', '2345-7');
  return { fixture, sources, facts, encounterId: encounter.id };
}

/** A Vigil with the clinical seed, a token for each of `roles` and an MLLP connection: for tests that send HL7 v2. */
export interface ClinicalMllp {
  t: TestVigil;
  s: Seeded;
  tokens: Map<string, string>;
  client: RawMllpClient;
  close(): Promise<void>;
}

export async function startClinicalMllp(roles: readonly string[]): Promise<ClinicalMllp> {
  const t = await startTestVigil();
  try {
    const s = await seedClinical(t);
    const tokens = new Map<string, string>();
    for (const role of roles) tokens.set(role, await signIn(t.url, s.fixture.people.get(role)!));
    const client = await RawMllpClient.connect(t.vigil.mllpPort()!);
    return {
      t,
      s,
      tokens,
      client,
      close: async () => {
        client.destroy();
        await t.close();
      },
    };
  } catch (err) {
    await t.close();
    throw err;
  }
}
