import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RawMllpClient } from '../support/raw-mllp-client.ts';
import { adt, NORTH, type Person, type Sender } from '../support/hl7-builder.ts';
import { startTestVigil, type TestVigil } from '../support/in-process.ts';
import { sendForAck } from '../support/mllp-send.ts';
import { waitFor } from '../support/wait.ts';

/**
 * The master patient index across sources: the same person registered at two hospitals (each with its own MRN
 * authority) is one patient even with a nickname and a typo; twins are not; a borderline pair waits for a person.
 */
const T = { timeout: 60_000 };
const EAST: Sender = { app: 'EASTADT', facility: 'EAST' };
let t: TestVigil;
let client: RawMllpClient;

async function register(sender: Sender, person: Person, control: string, authority: string): Promise<void> {
  const ack = await sendForAck(client, adt(sender, 'A04', person, control, '20240310080000').replace('^^^NORTH^MR', `^^^${authority}^MR`));
  assert.equal(ack.get('MSA-1'), 'AA');
  await waitFor(`${control} to be processed`, async () => {
    const row = await t.vigil.store.db.selectFrom('gateway_messages').select('state').where('control_id', '=', control).executeTakeFirst();
    return row?.state === 'processed';
  });
}

async function patientOf(mrn: string) {
  const row = await t.vigil.store.db.selectFrom('patient_records as r').innerJoin('patient_record_identifiers as i', 'i.record_id', 'r.id').select(['r.patient_id', 'r.link_reason']).where('i.value', '=', mrn).executeTakeFirstOrThrow();
  return row;
}

before(async () => {
  t = await startTestVigil();
  await t.vigil.store.tx(async (trx) => {
    await t.vigil.gateway.registry.add(trx, { name: 'north-adt', kind: 'hl7v2', msh3: NORTH.app, msh4: NORTH.facility }, { actorName: 'test' });
    await t.vigil.gateway.registry.add(trx, { name: 'east-adt', kind: 'hl7v2', msh3: EAST.app, msh4: EAST.facility }, { actorName: 'test' });
  });
  client = await RawMllpClient.connect(t.vigil.mllpPort()!);
});

after(async () => {
  client?.destroy();
  await t?.close();
});

describe('identity across sources', () => {
  it('links the same person registered at another hospital, despite a nickname and a typo in the surname', T, async () => {
    await register(NORTH, { mrn: 'N-5001', family: 'Whitacre', given: 'William', birthDate: '19620415', sex: 'M', phone: '5550101234' }, 'ID-1', 'NORTH');
    await register(EAST, { mrn: 'E-9001', family: 'Whittacre', given: 'Bill', birthDate: '19620415', sex: 'M', phone: '5550101234' }, 'ID-2', 'EAST');
    const north = await patientOf('N-5001');
    const east = await patientOf('E-9001');
    assert.equal(east.patient_id, north.patient_id);
    assert.equal(east.link_reason, 'probabilistic');
    const event = await t.vigil.store.db.selectFrom('identity_link_events').select(['decision', 'weight', 'evidence']).where('decision', '=', 'probabilistic').executeTakeFirstOrThrow();
    assert.ok((event.weight ?? 0) > 0);
    assert.ok(Array.isArray(event.evidence), 'the evidence of the link is kept');
  });

  it('keeps twins apart', T, async () => {
    await register(NORTH, { mrn: 'N-6001', family: 'Okonkwo', given: 'Chidi', birthDate: '19990303', sex: 'M', phone: '5550109999' }, 'ID-3', 'NORTH');
    await register(EAST, { mrn: 'E-6002', family: 'Okonkwo', given: 'Adaeze', birthDate: '19990303', sex: 'F', phone: '5550109999' }, 'ID-4', 'EAST');
    assert.notEqual((await patientOf('E-6002')).patient_id, (await patientOf('N-6001')).patient_id);
  });

  it('never links two records holding different MRNs from one authority, however alike: a person decides', T, async () => {
    await register(NORTH, { mrn: 'N-7001', family: 'Lindqvist', given: 'Maja', birthDate: '19800707', sex: 'F', phone: '5550107777' }, 'ID-5', 'NORTH');
    await register(NORTH, { mrn: 'N-7002', family: 'Lindqvist', given: 'Maja', birthDate: '19800707', sex: 'F', phone: '5550107777' }, 'ID-6', 'NORTH');
    const first = await patientOf('N-7001');
    const second = await patientOf('N-7002');
    assert.notEqual(first.patient_id, second.patient_id);
    const queued = await t.vigil.store.db.selectFrom('identity_possible_matches').select(['candidate_patient_id', 'state', 'evidence']).where('candidate_patient_id', '=', first.patient_id).executeTakeFirstOrThrow();
    assert.equal(queued.state, 'open');
    assert.equal((queued.evidence as { conflict?: string }).conflict, 'identifier-conflict');
  });
});
