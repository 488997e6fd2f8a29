import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CANARY_PATIENT } from '../../../../test/support/canaries.ts';
import { VigilError } from '../../../errors.ts';
import { describeLocation, Hl7MappingError, mapHl7Message, SUPPORTED_EVENTS } from './index.ts';
import { context, hl7, mapError, msh, PID, seg } from './test-helpers.ts';

const C = CANARY_PATIENT;
const MARK = 'ZZCANARY';
const CANARY_PID = seg('PID', {
  1: '1',
  3: `${C.mrn}^^^${MARK}^MR`,
  5: `${C.family}^${C.given}^${MARK}`,
  7: C.birthDate.replaceAll('-', ''),
  8: 'F',
  11: `${C.address}^^${MARK}`,
  13: C.phone,
});

function assertNoValues(e: Hl7MappingError): void {
  const said = `${e.message}\n${e.reason}\n${JSON.stringify(e.location)}`.toLowerCase();
  for (const value of [...Object.values(C), MARK, '18991217', 'Quillfeather']) {
    assert.ok(!said.includes(value.toLowerCase()), `an error message carries a value from the message (${e.code})`);
  }
}

describe('refusals the sender is told about', () => {
  it('lists the events it maps', () => {
    const documents = ['T01', 'T02', 'T03', 'T04', 'T05', 'T06', 'T07', 'T08', 'T09', 'T10', 'T11'].map((t) => `MDM^${t}`);
    assert.deepEqual(SUPPORTED_EVENTS, ['ADT^A01', 'ADT^A03', 'ADT^A04', 'ADT^A08', 'ADT^A11', 'ADT^A28', 'ADT^A31', 'ADT^A24', 'ADT^A37', 'ADT^A40', 'ADT^A60', 'ORU^R01', 'RDE^O11', 'RAS^O17', 'PPR^PC1', 'PPR^PC2', 'PPR^PC3', ...documents]);
  });

  it('an unsupported trigger of a supported type is rejected with AR and HL7 error 201 at MSH-9.2', () => {
    for (const event of ['ADT^A41', 'ADT^A17', 'RDE^O25', 'ORU^R30']) {
      const e = mapError(hl7(msh(event), PID));
      assert.deepEqual([e.kind, e.ackCode, e.hl7ErrorCode, e.location], ['unsupported-event', 'AR', 201, { segment: 'MSH', field: 9, component: 2 }], event);
    }
  });

  it('an unsupported message type is rejected with AR and HL7 error 200 at MSH-9.1', () => {
    for (const event of ['VXU^V04', 'SIU^S12', 'ACK^A01', 'ZZZ^Z99']) {
      const e = mapError(hl7(msh(event), PID));
      assert.deepEqual([e.kind, e.ackCode, e.hl7ErrorCode, e.location], ['unsupported-event', 'AR', 200, { segment: 'MSH', field: 9, component: 1 }], event);
    }
  });

  it('reads MSH-9 regardless of letter case', () => {
    assert.equal(mapHl7Message(hl7(msh('adt^a31'), PID), context()).ok, true);
  });

  it('is a VigilError with a stable code, a 422 status and a message that names the position and the fix', () => {
    const e = mapError(hl7(msh('ADT^A01'), 'PID|1||^^^HOSP'));
    assert.ok(e instanceof VigilError);
    assert.deepEqual([e.name, e.code, e.status], ['Hl7MappingError', 'hl7-missing-required', 422]);
    assert.equal(
      e.message,
      'HL7 v2 message not mapped (missing-required) at PID-3: PID-3 (patient identifier list) is empty; the source must send at least one identifier in component 1 so the patient can be matched.',
    );
  });

  it('names later occurrences of a segment by their number', () => {
    assert.equal(describeLocation({ segment: 'OBR', occurrence: 2, field: 3 }), 'OBR[2]-3');
    assert.equal(describeLocation({ segment: 'MSH', field: 9, component: 2 }), 'MSH-9.2');
    assert.equal(describeLocation({ segment: 'MRG' }), 'MRG');
    const e = mapError(hl7(msh('ORU^R01'), PID, seg('OBR', { 3: 'F1', 4: 'X^T^LN' }), seg('OBR', { 4: 'Y^T^LN' })));
    assert.deepEqual(e.location, { segment: 'OBR', occurrence: 2, field: 3 });
    assert.match(e.message, /at OBR\[2\]-3: OBR\[2\]-3 \(filler order number\)/);
  });
});

describe('no refusal carries a value from the message', () => {
  const refusals: Record<string, string[]> = {
    'patient without identifier': [msh('ADT^A01'), seg('PID', { 3: `^^^${MARK}^MR`, 5: `${C.family}^${C.given}`, 7: '18991217', 13: C.phone })],
    'ADT without PID': [msh('ADT^A01'), `EVN|A01|${MARK}`, seg('PV1', { 2: 'I', 19: C.mrn })],
    'unsupported trigger named by a canary': [msh(`ADT^${MARK}`), CANARY_PID],
    'unsupported type named by a canary': [msh(`${MARK}^A01`), CANARY_PID],
    'report without order number': [msh('ORU^R01'), CANARY_PID, seg('OBR', { 4: `${MARK}^${C.family}^LN`, 25: 'F' })],
    'merge into itself': [msh('ADT^A40'), CANARY_PID, `MRG|${C.mrn}^^^${MARK}^MR`],
    'merge without authority': [msh('ADT^A40'), CANARY_PID, `MRG|${C.mrn}`],
    'merge without MRG': [msh('ADT^A40'), CANARY_PID],
    'order without RXE': [msh('RDE^O11'), CANARY_PID, `ORC|NW|${C.mrn}`],
    'order without number': [msh('RAS^O17'), CANARY_PID, `ORC|RE||^${MARK}`, seg('RXA', { 3: '20240102' })],
    'administration with a bad time': [msh('RAS^O17'), CANARY_PID, 'ORC|RE|P1', seg('RXA', { 3: MARK, 5: `${MARK}^${C.given}` })],
    'administration before its order': [msh('RAS^O17'), CANARY_PID, seg('RXA', { 3: C.birthDate })],
  };
  for (const [name, segments] of Object.entries(refusals)) {
    it(name, () => assertNoValues(mapError(hl7(...segments))));
  }
});
