import { v7 as uuidv7 } from 'uuid';
import type { FactTarget } from '../../src/core/clinical/fact-writer.ts';
import { resolveRecord, type RecordArrival } from '../../src/core/identity/resolve.ts';
import { buildAccessFixture } from '../support/access-fixture.ts';
import type { TestVigil } from '../support/in-process.ts';

/**
 * For tests that call the fact writer directly: a registered HL7 source and one patient registered by it (at the
 * fixture's north facility), as the target their facts are written to.
 */
export async function registeredFactTarget(t: TestVigil, source: { name: string; msh3: string; msh4: string }, person: { recordKey: string; given: string }): Promise<FactTarget> {
  const fixture = await buildAccessFixture(t.vigil.store, t.vigil.config, []);
  const registered = await t.vigil.store.tx((trx) => t.vigil.gateway.registry.add(trx, { name: source.name, kind: 'hl7v2', msh3: source.msh3, msh4: source.msh4 }, { actorName: 'test' }));
  const key = { system: `urn:test:${source.name}`, value: person.recordKey };
  const provenance = { derivation: 'asserted' as const, sourceId: registered.id, sourceName: source.name, messageId: uuidv7(), receivedAt: new Date().toISOString(), transform: 'test@1', confidence: 1, flags: [] };
  const arrival: RecordArrival = {
    sourceId: registered.id,
    recordKey: key,
    record: { identifiers: [key], family: 'Testperson', given: [person.given], flags: [] },
    sourceTime: new Date('2024-03-01T08:00:00Z'),
    provenance,
    messageId: null,
    actor: 'test',
    managingFacilityId: fixture.north,
    registering: true,
  };
  const record = await t.vigil.store.tx((trx) => resolveRecord(trx, arrival, null));
  return { sourceId: registered.id, recordId: record.recordId, patientId: record.patientId, encounterId: null, encounterKey: null, provenance };
}
