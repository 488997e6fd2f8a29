import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ackContextOf, ackModeOf, acceptAckWanted, applicationAckWanted, buildAck, type AckCode, type AckError } from './ack.ts';
import { DEFAULT_DELIMITERS, type Hl7Delimiters } from './escape.ts';
import type { Hl7Header } from './message.ts';
import { parseHl7Message } from './parse.ts';

const CORPUS = join(import.meta.dirname, '../../../test/fixtures/hl7');
const NOW = new Date(Date.UTC(2024, 1, 29, 7, 5, 9));
const OPTIONS = { now: NOW, controlId: 'ACK0001', sendingApplication: 'VIGIL', sendingFacility: 'VIGIL-FAC' };

function adt(version: string, extra = ''): string {
  return [`MSH|^~\\&|LAB^1.2.3^ISO|NORTH|VIGIL-IN|CENTRAL|20240101120000||ADT^A01^ADT_A01|CTRL-77|T|${version}${extra}`, 'EVN|A01|20240101120000', 'PID|1||123^^^H^MR'].join('\r') + '\r';
}

/** The ACK read back by our own strict parser: it must be a well-formed, fully terminated HL7 message. */
function readBack(ack: string) {
  assert.ok(ack.endsWith('\r'), 'every segment, the last included, ends with CR');
  assert.ok(!ack.includes('\x0b') && !ack.includes('\x1c') && !ack.includes('\n'), 'no framing bytes and no LF inside an ACK');
  return parseHl7Message(ack, { requireTerminator: true });
}

const MISSING_PID3: AckError = { segment: 'PID', occurrence: 1, field: 3, component: 2, hl7ErrorCode: 101, severity: 'E', diagnostic: 'PID-3 is required.' };

describe('buildAck: MSH and MSA', () => {
  const original = parseHl7Message(adt('2.5.1'));

  it('swaps sender and receiver, echoes processing id and version, names the trigger, and acknowledges the control id', () => {
    const ack = readBack(buildAck(original.header, { code: 'AA' }, OPTIONS));
    assert.deepEqual(ack.segmentIds(), ['MSH', 'MSA']);
    assert.equal(ack.raw('MSH-3'), 'VIGIL-IN');
    assert.equal(ack.raw('MSH-4'), 'CENTRAL');
    assert.equal(ack.raw('MSH-5'), 'LAB^1.2.3^ISO');
    assert.equal(ack.raw('MSH-6'), 'NORTH');
    assert.equal(ack.get('MSH-7'), '20240229070509+0000');
    assert.equal(ack.raw('MSH-9'), 'ACK^A01^ACK');
    assert.equal(ack.get('MSH-10'), 'ACK0001');
    assert.equal(ack.get('MSH-11'), 'T');
    assert.equal(ack.get('MSH-12'), '2.5.1');
    assert.equal(ack.get('MSA-1'), 'AA');
    assert.equal(ack.get('MSA-2'), 'CTRL-77');
    assert.equal(ack.get('MSA-3'), undefined, 'no empty trailing fields');
    assert.equal(ack.header.acceptAckType, '', 'an ACK never asks to be acknowledged');
  });

  for (const code of ['AA', 'AE', 'AR', 'CA', 'CE', 'CR'] as AckCode[]) {
    it(`writes MSA-1 ${code} with the original control id and the text in MSA-3`, () => {
      const ack = readBack(buildAck(original.header, { code, text: `outcome ${code}` }, OPTIONS));
      assert.equal(ack.get('MSA-1'), code);
      assert.equal(ack.get('MSA-2'), 'CTRL-77');
      assert.equal(ack.get('MSA-3'), `outcome ${code}`);
      assert.equal(ack.raw('MSH-9'), 'ACK^A01^ACK');
      assert.equal(ack.segments('ERR').length, 0);
    });
  }

  it("uses Vigil's identity where the original names no receiver", () => {
    const bare = parseHl7Message('MSH|^~\\&|LAB||||20240101||ORU^R01|C1|P|2.5\rPID|1\r');
    const ack = readBack(buildAck(bare.header, { code: 'AA' }, OPTIONS));
    assert.equal(ack.raw('MSH-3'), 'VIGIL');
    assert.equal(ack.raw('MSH-4'), 'VIGIL-FAC');
    assert.equal(ack.raw('MSH-5'), 'LAB');
    assert.equal(ack.raw('MSH-6'), '');
    const anonymous = readBack(buildAck(bare.header, { code: 'AA' }, { now: NOW, controlId: 'X' }));
    assert.equal(anonymous.raw('MSH-3'), '');
  });

  it('omits MSH-9.3 before v2.3.1, where the message structure component does not exist', () => {
    assert.equal(readBack(buildAck(parseHl7Message(adt('2.3')).header, { code: 'AA' }, OPTIONS)).raw('MSH-9'), 'ACK^A01');
    assert.equal(readBack(buildAck(parseHl7Message(adt('2.3.1')).header, { code: 'AA' }, OPTIONS)).raw('MSH-9'), 'ACK^A01^ACK');
  });

  it('cuts MSA-3 to its 80 characters', () => {
    const ack = readBack(buildAck(original.header, { code: 'AE', text: 'x'.repeat(200) }, OPTIONS));
    assert.equal(ack.get('MSA-3'), 'x'.repeat(80));
  });
});

describe('buildAck: ERR layouts', () => {
  it('v2.3: ERR-1 segment^sequence^field^code&text&HL70357, and the diagnostic in MSA-3', () => {
    const ack = readBack(buildAck(parseHl7Message(adt('2.3')).header, { code: 'AR', error: MISSING_PID3 }, OPTIONS));
    assert.equal(ack.raw('ERR-1'), 'PID^1^3^101&Required field missing&HL70357');
    assert.equal(ack.raw('ERR-2'), undefined);
    assert.equal(ack.get('MSA-3'), 'PID-3 is required.');
  });

  it('v2.4: ERR-1 layout too; an explicit text wins over the diagnostic in MSA-3', () => {
    const ack = readBack(buildAck(parseHl7Message(adt('2.4')).header, { code: 'AE', text: 'Rejected', error: MISSING_PID3 }, OPTIONS));
    assert.equal(ack.raw('ERR-1'), 'PID^1^3^101&Required field missing&HL70357');
    assert.equal(ack.get('MSA-3'), 'Rejected');
  });

  for (const version of ['2.5', '2.5.1', '2.8']) {
    it(`v${version}: ERR-2 location, ERR-3 code^text^HL70357, ERR-4 severity, ERR-8 user message; no ERR-1`, () => {
      const ack = readBack(buildAck(parseHl7Message(adt(version)).header, { code: 'AE', error: MISSING_PID3 }, OPTIONS));
      assert.equal(ack.raw('ERR-1'), '');
      assert.equal(ack.raw('ERR-2'), 'PID^1^3^1^2');
      assert.equal(ack.raw('ERR-3'), '101^Required field missing^HL70357');
      assert.equal(ack.get('ERR-4'), 'E');
      assert.equal(ack.raw('ERR-5'), '');
      assert.equal(ack.get('ERR-8'), 'PID-3 is required.');
      assert.equal(ack.segment(3).fieldCount, 8);
      assert.equal(ack.get('MSA-3'), undefined, 'from v2.5 the diagnostic lives in ERR only');
    });
  }

  it('leaves the location out when there is none (or it is not a segment id) and keeps the code', () => {
    const header = parseHl7Message(adt('2.5')).header;
    const noPlace = readBack(buildAck(header, { code: 'AR', error: { hl7ErrorCode: 200, severity: 'E', diagnostic: 'No.' } }, OPTIONS));
    assert.equal(noPlace.raw('ERR-2'), '');
    assert.equal(noPlace.raw('ERR-3'), '200^Unsupported message type^HL70357');
    const badId = readBack(buildAck(header, { code: 'AR', error: { segment: 'P|D', field: 3, hl7ErrorCode: 102, severity: 'E', diagnostic: '' } }, OPTIONS));
    assert.equal(badId.raw('ERR-2'), '');
    const old = readBack(buildAck(parseHl7Message(adt('2.3')).header, { code: 'AR', error: { hl7ErrorCode: 203, severity: 'E', diagnostic: 'd' } }, OPTIONS));
    assert.equal(old.raw('ERR-1'), '^^^203&Unsupported version id&HL70357');
  });

  it('a warning may accompany AA; a field without component is located down to its repetition', () => {
    const ack = readBack(buildAck(parseHl7Message(adt('2.6')).header, { code: 'AA', error: { segment: 'OBX', occurrence: 3, field: 5, hl7ErrorCode: 0, severity: 'W', diagnostic: 'Unit missing.' } }, OPTIONS));
    assert.equal(ack.get('MSA-1'), 'AA');
    assert.equal(ack.raw('ERR-2'), 'OBX^3^5^1');
    assert.equal(ack.raw('ERR-3'), '0^Message accepted^HL70357');
    assert.equal(ack.get('ERR-4'), 'W');
  });
});

describe('buildAck: escaping and delimiters', () => {
  const nasty = 'a|b^c~d\\e&f\rg\nh\x1ci\x0bj';

  it('escapes every delimiter and control character in text, so the ACK keeps its shape and reads back verbatim', () => {
    const header = parseHl7Message(adt('2.5.1')).header;
    const raw = buildAck(header, { code: 'AE', text: nasty, error: { segment: 'PID', hl7ErrorCode: 207, severity: 'E', diagnostic: nasty } }, OPTIONS);
    const ack = readBack(raw);
    assert.deepEqual(ack.segmentIds(), ['MSH', 'MSA', 'ERR']);
    assert.equal(ack.segment(2).fieldCount, 3);
    assert.equal(ack.get('MSA-3'), nasty);
    assert.equal(ack.get('ERR-8'), nasty);
    assert.match(ack.raw('MSA-3')!, /^a\\F\\b\\S\\c\\R\\d\\E\\e\\T\\f\\X0D\\g\\.br\\h\\X1C\\i\\X0B\\j$/);
  });

  it('escapes echoed header values too (a control id is text like any other)', () => {
    const header: Hl7Header = { ...parseHl7Message(adt('2.5')).header, controlId: 'C|1^2', triggerEvent: 'A^01' };
    const ack = readBack(buildAck(header, { code: 'AA' }, { ...OPTIONS, controlId: 'X|Y' }));
    assert.equal(ack.get('MSA-2'), 'C|1^2');
    assert.equal(ack.get('MSH-10'), 'X|Y');
    assert.equal(ack.get('MSH-9.2'), 'A^01');
  });

  it('answers in the original delimiters (a corpus file with field separator ^)', () => {
    const original = parseHl7Message(readFileSync(join(CORPUS, 'hapi_segmentfinder_a24.hl7')));
    const raw = buildAck(original.header, { code: 'AR', text: 'bad ^ | ~', error: MISSING_PID3 }, { ...OPTIONS, delimiters: original.delimiters });
    assert.ok(raw.startsWith('MSH^~|\\&^'));
    const ack = readBack(raw);
    assert.deepEqual(ack.delimiters, original.delimiters);
    assert.equal(ack.get('MSA-2'), original.header.controlId);
    assert.equal(ack.get('MSA-3'), 'bad ^ | ~');
    assert.equal(ack.raw('ERR-1'), 'PID~1~3~101&Required field missing&HL70357', 'v2.4 layout; this sender\'s component separator is ~');
    assert.equal(ack.get('MSH-9.1'), 'ACK');
    assert.equal(ack.get('MSH-9.2'), 'A24');
  });

  it('keeps unusual delimiters and the v2.7 truncation character', () => {
    const d: Hl7Delimiters = { field: '#', component: '$', repetition: '%', escape: '@', subcomponent: '!', truncation: '*' };
    const text = 'MSH#$%@!*#LAB#F#VIGIL#G#20240101##ORU$R01$ORU_R01#C@S@9#P#2.7\rPID#1\r';
    const original = parseHl7Message(text);
    assert.deepEqual(original.delimiters, d);
    const raw = buildAck(original.header, { code: 'AE', text: 'a#b$c*d', error: MISSING_PID3 }, { ...OPTIONS, delimiters: original.delimiters });
    assert.ok(raw.startsWith('MSH#$%@!*#VIGIL#G#LAB#F#'));
    const ack = readBack(raw);
    assert.equal(ack.get('MSA-2'), 'C$9');
    assert.equal(ack.raw('MSA-3'), 'a@F@b@S@c@P@d');
    assert.equal(ack.raw('ERR-3'), '101$Required field missing$HL70357');
  });

  it('refuses delimiters that are not distinct punctuation', () => {
    assert.throws(() => buildAck(undefined, { code: 'AR' }, { ...OPTIONS, delimiters: { ...DEFAULT_DELIMITERS, subcomponent: '\\' } }), TypeError);
    assert.throws(() => buildAck(undefined, { code: 'AR' }, { ...OPTIONS, delimiters: { ...DEFAULT_DELIMITERS, component: 'A' } }), TypeError);
    assert.throws(() => buildAck(undefined, { code: 'AR' }, { ...OPTIONS, delimiters: { ...DEFAULT_DELIMITERS, field: '\r' } }), TypeError);
  });
});

describe('buildAck without a readable original', () => {
  it('is a minimal AR with an empty MSA-2, whatever code was asked for', () => {
    for (const code of ['AA', 'AE', 'CA'] as AckCode[]) {
      const ack = readBack(buildAck(undefined, { code, error: { hl7ErrorCode: 207, severity: 'E', diagnostic: 'Unreadable.' } }, OPTIONS));
      assert.equal(ack.get('MSA-1'), 'AR');
      assert.equal(ack.get('MSA-2'), '');
      assert.equal(ack.raw('MSH-3'), 'VIGIL');
      assert.equal(ack.raw('MSH-5'), '');
      assert.equal(ack.raw('MSH-9'), 'ACK^^ACK');
      assert.equal(ack.get('MSH-11'), 'P');
      assert.equal(ack.get('MSH-12'), '2.5.1');
      assert.equal(ack.get('ERR-8'), 'Unreadable.');
    }
  });
});

describe('ackContextOf', () => {
  const read = (f: string) => readFileSync(join(CORPUS, f));

  it("is the parser's header and delimiters for a message it accepts", () => {
    const ctx = ackContextOf(read('hapi_segmentfinder_a24.hl7'))!;
    assert.equal(ctx.header.controlId, '2003582144');
    assert.equal(ctx.delimiters!.field, '^');
  });

  it('reads MSH field by field when the parser refuses the message, trusting MSH-2 only when it is valid', () => {
    const badEncoding = ackContextOf(read('lfh_sample_unix.hl7'))!;
    assert.equal(badEncoding.header.controlId, '102');
    assert.equal(badEncoding.header.triggerEvent, 'A01');
    assert.equal(badEncoding.header.version, '2.6');
    assert.equal(badEncoding.header.sendingApplication.namespaceId, 'SE050');
    assert.equal(badEncoding.delimiters, undefined);
    const glued = ackContextOf(read('nhc_adt-example.hl7'))!;
    assert.equal(glued.header.controlId, '599102');
    assert.equal(glued.delimiters!.field, '|');
    const unsupported = ackContextOf('MSH|^~\\&|A|B|C|D|2024||ADT^A01|OLD-1|P|2.2\rPID|1\r')!;
    assert.equal(unsupported.header.controlId, 'OLD-1');
    // Answered in the sender's own version (which our parser would refuse, so the text is checked as written).
    const nak = buildAck(unsupported.header, { code: 'AR', error: { field: 12, segment: 'MSH', hl7ErrorCode: 203, severity: 'E', diagnostic: 'v2.2' } }, OPTIONS);
    const [msh, msa, err] = nak.split('\r').map((seg) => seg.split('|'));
    assert.equal(msh![11], '2.2');
    assert.deepEqual(msa, ['MSA', 'AR', 'OLD-1', 'v2.2']);
    assert.deepEqual(err, ['ERR', 'MSH^1^12^203&Unsupported version id&HL70357']);
  });

  it('reads the header of a message cut after MSH (the head of an oversize frame)', () => {
    const full = read('mscvt_ADT-A01-01.hl7');
    const ctx = ackContextOf(full.subarray(0, 300))!;
    assert.equal(ctx.header.controlId, parseHl7Message(full).header.controlId);
  });

  it('is undefined when there is no MSH or no control id', () => {
    assert.equal(ackContextOf('hello world'), undefined);
    assert.equal(ackContextOf(Buffer.from([0xff, 0xfe, 0x00, 0x41])), undefined);
    assert.equal(ackContextOf('MSH|^~\\&|A|B|C|D|2024||ADT^A01||P|2.5\r'), undefined);
    assert.equal(ackContextOf('MSH'), undefined);
  });
});

describe('acknowledgment modes', () => {
  const mode = (accept: string, application: string) => ackModeOf({ acceptAckType: accept, applicationAckType: application });

  it('original mode only when MSH-15 and MSH-16 are both empty', () => {
    assert.deepEqual(mode('', ''), { mode: 'original' });
    assert.deepEqual(mode(' ', ''), { mode: 'original' });
    assert.deepEqual(mode('AL', 'NE'), { mode: 'enhanced', accept: 'AL', application: 'NE' });
    assert.deepEqual(mode('ER', 'SU'), { mode: 'enhanced', accept: 'ER', application: 'SU' });
  });

  it('in enhanced mode an empty or unknown condition counts as AL', () => {
    assert.deepEqual(mode('', 'NE'), { mode: 'enhanced', accept: 'AL', application: 'NE' });
    assert.deepEqual(mode('NE', ''), { mode: 'enhanced', accept: 'NE', application: 'AL' });
    assert.deepEqual(mode('XX', 'ne'), { mode: 'enhanced', accept: 'AL', application: 'NE' });
  });

  it('reads the corpus headers', () => {
    assert.deepEqual(ackModeOf(parseHl7Message(readFileSync(join(CORPUS, 'mscvt_ADT-A40-01.hl7'))).header), { mode: 'enhanced', accept: 'NE', application: 'NE' });
    assert.deepEqual(ackModeOf(parseHl7Message(readFileSync(join(CORPUS, 'mscvt_ADT01-23.hl7'))).header), { mode: 'original' });
  });

  it('wants an accept acknowledgment per table 0155, and always in original mode', () => {
    const cases: [string, boolean, boolean][] = [
      ['AL', true, true],
      ['NE', false, false],
      ['ER', false, true],
      ['SU', true, false],
    ];
    for (const [c, success, error] of cases) {
      const m = mode(c, 'NE');
      assert.equal(acceptAckWanted(m, 'success'), success, `${c} success`);
      assert.equal(acceptAckWanted(m, 'error'), error, `${c} error`);
      assert.equal(applicationAckWanted(mode('NE', c), 'success'), success);
      assert.equal(applicationAckWanted(mode('NE', c), 'error'), error);
    }
    assert.equal(acceptAckWanted({ mode: 'original' }, 'success'), true);
    assert.equal(acceptAckWanted({ mode: 'original' }, 'error'), true);
  });
});
