import { v7 as uuidv7 } from 'uuid';
import { writeFact, type FactTarget } from '../../src/core/clinical/fact-writer.ts';
import { resolveRecord, type RecordArrival } from '../../src/core/identity/resolve.ts';
import type { PatientRecordInput } from '../../src/model/clinical.ts';
import type { ProvenanceRecord } from '../../src/model/provenance.ts';
import type { SourceRegistry } from '../../src/gateway/sources.ts';
import type { Store } from '../../src/store/store.ts';
import { MRN_SYSTEM, type AccessFixture } from './access-fixture.ts';
import { CANARY_PATIENT } from './canaries.ts';

/**
 * A possible match as the index makes one: north-adt files the fixture's own-team patient (the canary) under its MRN
 * and a national id; later south-adt sends the same person under its own MRN, carrying the same north MRN but another
 * national id. One authority gives one person one number, so the resolver will not link across that conflict: the
 * south record gets a patient of its own and the pair waits for a person. The south record brings a result and an
 * encounter, which must follow it wherever it is linked.
 */
export const NATIONAL_ID_SYSTEM = 'urn:oid:2.16.840.1.113883.4.1';
export const SOUTH_MRN_SYSTEM = 'urn:oid:2.16.840.1.113883.19.7';

export interface PossibleMatchSeed {
  matchId: string;
  /** The record that was held back, and the patient the resolver made for it. */
  recordId: string;
  newPatientId: string;
  /** The fixture's own-team patient, now also holding north-adt's record. */
  candidatePatientId: string;
  northRecordId: string;
  sources: { north: string; south: string };
  factId: string;
  encounterId: string;
}

const person = (identifiers: { system: string; value: string }[], phone: string): PatientRecordInput => ({
  identifiers,
  family: CANARY_PATIENT.family,
  given: [CANARY_PATIENT.given],
  birthDate: CANARY_PATIENT.birthDate,
  sex: 'female',
  phone,
  address: { line: CANARY_PATIENT.address, city: 'Springfield', postalCode: '01101' },
  flags: [],
});

function provenance(sourceId: string, sourceName: string): ProvenanceRecord {
  return { derivation: 'asserted', sourceId, sourceName, messageId: uuidv7(), receivedAt: new Date().toISOString(), transform: 'test-seed@1 profile 1', confidence: 1, flags: [] };
}

function arrival(sourceId: string, sourceName: string, key: { system: string; value: string }, record: PatientRecordInput, at: string, facilityId: string): RecordArrival {
  // Cast: the arrival's shape is growing (registration flags) while this helper only needs what every version has.
  return { sourceId, recordKey: key, record, sourceTime: new Date(at), provenance: provenance(sourceId, sourceName), messageId: null, actor: 'test', managingFacilityId: facilityId, registering: true } as RecordArrival;
}

export async function seedPossibleMatch(store: Store, registry: SourceRegistry, fixture: AccessFixture): Promise<PossibleMatchSeed> {
  const candidatePatientId = fixture.patients['own-team'].id;
  const actor = { actorName: 'test' };
  return store.tx(async (trx) => {
    const north = (await registry.add(trx, { name: 'north-adt', kind: 'hl7v2', msh3: 'NORTHADT', msh4: 'NORTH' }, actor)).id;
    const south = (await registry.add(trx, { name: 'south-adt', kind: 'hl7v2', msh3: 'SOUTHADT', msh4: 'SOUTH' }, actor)).id;
    const mrn = { system: MRN_SYSTEM, value: CANARY_PATIENT.mrn };
    const northRecord = await resolveRecord(trx, arrival(north, 'north-adt', mrn, person([mrn, { system: NATIONAL_ID_SYSTEM, value: 'NID-111-11' }], CANARY_PATIENT.phone), '2024-03-01T08:00:00Z', fixture.north), null);
    if (northRecord.patientId !== candidatePatientId) throw new Error('north-adt did not link to the fixture patient by its MRN');
    const southKey = { system: SOUTH_MRN_SYSTEM, value: 'S-0077' };
    const southRecord = await resolveRecord(
      trx,
      arrival(south, 'south-adt', southKey, person([southKey, mrn, { system: NATIONAL_ID_SYSTEM, value: 'NID-222-22' }], '+1 555 010 0000'), '2024-03-02T08:00:00Z', fixture.north),
      null,
    );
    if (southRecord.patientId === candidatePatientId) throw new Error('the conflicting record was linked; the resolver should have held it');
    const match = await trx.selectFrom('identity_possible_matches').select('id').where('record_id', '=', southRecord.recordId).executeTakeFirstOrThrow();
    const encounterId = uuidv7();
    await trx.insertInto('encounters').values({ id: encounterId, patient_id: southRecord.patientId, facility_id: fixture.north, status: 'finished', starts_at: new Date('2024-03-02T08:00:00Z'), ends_at: new Date('2024-03-02T12:00:00Z'), source_id: south, source_key: 'SV-1', record_id: southRecord.recordId }).execute();
    const target = { sourceId: south, recordId: southRecord.recordId, patientId: southRecord.patientId, encounterId, encounterKey: 'SV-1', provenance: provenance(south, 'south-adt') } as FactTarget;
    const at = { instant: '2024-03-02T09:00:00.000Z', zoneFrom: 'profile' as const, zone: 'America/New_York', precision: 'minute' as const };
    const factId = await writeFact(
      trx,
      target,
      { kind: 'observation', sourceKey: 'S-OBX-1', status: 'final', code: { codings: [{ system: 'http://loinc.org', code: '2345-7', display: 'Glucose' }] }, effective: at, body: { value: { type: 'quantity', quantity: { value: 101, unit: 'mg/dL' } }, referenceRange: '70-99', interpretation: 'H' }, position: 'OBX[1]', flags: [] },
      new Date(at.instant),
    );
    return { matchId: match.id, recordId: southRecord.recordId, newPatientId: southRecord.patientId, candidatePatientId, northRecordId: northRecord.recordId, sources: { north, south }, factId, encounterId };
  });
}
