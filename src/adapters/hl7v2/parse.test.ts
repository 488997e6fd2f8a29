import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeEscapes, encodeEscapes, DEFAULT_DELIMITERS, Hl7ParseError, parseHl7Batch, parseHl7Message, type EscapeReport, type Hl7RejectReason } from './index.ts';

const seg = (...lines: string[]) => lines.join('\r') + '\r';
const MSH = 'MSH|^~\\&|LAB|NORTH^1.2.3^ISO|VIGIL|MAIN|20250101120000||ORU^R01^ORU_R01|CTRL-1|P|2.5.1|||AL|NE||UNICODE UTF-8';
const BASIC = seg(MSH, 'PID|1||MRN1^^^HOSP^MR~SSN9^^^USA^SS||DOE^JANE&ANNE^Q||19700101|F', 'OBX|1|ST|CODE^Name^LN||v1~v2|||N|||F', 'ZXT|custom^segment');

function rejects(fn: () => unknown, reason: Hl7RejectReason, kind?: string): Hl7ParseError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof Hl7ParseError, `expected Hl7ParseError(${reason}), got ${String(caught)}`);
  assert.equal(caught.reason, reason);
  if (kind) assert.equal(caught.kind, kind);
  assert.equal(caught.ackCode, 'AR');
  return caught;
}

describe('HL7 v2 header and accessors', () => {
  it('exposes the MSH facts the gateway needs', () => {
    const m = parseHl7Message(BASIC);
    assert.deepEqual(m.header, {
      sendingApplication: { namespaceId: 'LAB', universalId: '', universalIdType: '' },
      sendingFacility: { namespaceId: 'NORTH', universalId: '1.2.3', universalIdType: 'ISO' },
      receivingApplication: { namespaceId: 'VIGIL', universalId: '', universalIdType: '' },
      receivingFacility: { namespaceId: 'MAIN', universalId: '', universalIdType: '' },
      dateTime: '20250101120000',
      messageType: 'ORU',
      triggerEvent: 'R01',
      messageStructure: 'ORU_R01',
      controlId: 'CTRL-1',
      processingId: 'P',
      version: '2.5.1',
      acceptAckType: 'AL',
      applicationAckType: 'NE',
      characterSet: 'UNICODE UTF-8',
    });
    assert.deepEqual(m.notes, []);
    assert.ok(m.finalSegmentTerminated);
  });

  it('numbers MSH as HL7 does: MSH-1 is the separator, MSH-2 the encoding characters, MSH-3 the sender', () => {
    const m = parseHl7Message(BASIC);
    assert.equal(m.get('MSH-1'), '|');
    assert.equal(m.get('MSH-2'), '^~\\&');
    assert.equal(m.get('MSH-3'), 'LAB');
    assert.equal(m.raw('MSH-9'), 'ORU^R01^ORU_R01');
    assert.equal(m.segment(1).fieldCount, 18);
  });

  it('reads repetitions, components and subcomponents; omitted positions mean the first', () => {
    const m = parseHl7Message(BASIC);
    assert.equal(m.get('PID-3'), 'MRN1');
    assert.equal(m.get('PID-3[2].1'), 'SSN9');
    assert.equal(m.get('PID-3[2].5'), 'SS');
    assert.equal(m.get('PID-3[3]'), undefined);
    assert.equal(m.get('PID-5.2'), 'JANE');
    assert.equal(m.get('PID-5.2.2'), 'ANNE');
    assert.equal(m.get('PID-5.2.3'), undefined);
    assert.equal(m.get('PID-4'), '');
    assert.equal(m.get('PID-99'), undefined);
    assert.equal(m.get('PV1-1'), undefined);
    assert.equal(m.raw('PID-3'), 'MRN1^^^HOSP^MR~SSN9^^^USA^SS');
    assert.equal(m.raw('PID-3[2]'), 'SSN9^^^USA^SS');
    assert.deepEqual(m.segment(2).tree(5), [[['DOE'], ['JANE', 'ANNE'], ['Q']]]);
    assert.deepEqual(m.segment(3).tree(5), [[['v1']], [['v2']]]);
    assert.throws(() => m.get('pid-3'), TypeError);
    assert.throws(() => m.get('PID-0'), TypeError);
  });

  it('keeps Z-segments as ordinary segments', () => {
    const m = parseHl7Message(BASIC);
    assert.deepEqual(m.segmentIds(), ['MSH', 'PID', 'OBX', 'ZXT']);
    assert.equal(m.get('ZXT-1.2'), 'segment');
    assert.equal(m.segments('ZXT').length, 1);
  });

  it('accepts versions 2.3 to 2.8 and rejects the others with AR', () => {
    for (const v of ['2.3', '2.3.1', '2.4', '2.5', '2.5.1', '2.6', '2.7', '2.7.1', '2.8', '2.8.2']) {
      assert.equal(parseHl7Message(BASIC.replace('|2.5.1|', `|${v}|`)).header.version, v);
    }
    for (const v of ['2.2', '2.1', '2.9', '3.0', 'X']) rejects(() => parseHl7Message(BASIC.replace('|2.5.1|', `|${v}|`)), 'unsupported-version', 'unsupported-version');
  });

  it('rejects a message whose required MSH fields are empty, naming the field', () => {
    for (const [from, to, field] of [['|ORU^R01^ORU_R01|', '||', 'MSH-9'], ['|CTRL-1|', '||', 'MSH-10'], ['|P|', '||', 'MSH-11'], ['|2.5.1|', '||', 'MSH-12']] as const) {
      const e = rejects(() => parseHl7Message(BASIC.replace(from, to)), 'required-field-missing', 'malformed');
      assert.equal(e.location.field, field);
    }
  });
});

describe('HL7 v2 separators, BOM and junk', () => {
  const lines = [MSH, 'PID|1||MRN1', 'OBX|1|ST|A||B'];
  for (const [name, sep] of [['CR', '\r'], ['LF', '\n'], ['CRLF', '\r\n']] as const) {
    it(`reads ${name} segment separators`, () => {
      const m = parseHl7Message(lines.join(sep) + sep);
      assert.deepEqual(m.separators, [name]);
      assert.deepEqual(m.segmentIds(), ['MSH', 'PID', 'OBX']);
      assert.equal(m.get('OBX-5'), 'B');
    });
  }

  it('reads CR, LF and CRLF mixed in one message and says so', () => {
    const m = parseHl7Message(`${lines[0]}\r${lines[1]}\n${lines[2]}\r\n`);
    assert.deepEqual(m.separators, ['CR', 'LF', 'CRLF']);
    assert.deepEqual(m.notes, [{ code: 'mixed-segment-separators' }]);
    assert.equal(m.get('PID-3'), 'MRN1');
  });

  it('strips a UTF-8 BOM from bytes and from a string, and reports it', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(BASIC)]);
    assert.deepEqual(parseHl7Message(bytes).notes, [{ code: 'bom-stripped' }]);
    assert.deepEqual(parseHl7Message('\ufeff' + BASIC).notes, [{ code: 'bom-stripped' }]);
    assert.equal(parseHl7Message(bytes).get('MSH-3'), 'LAB');
  });

  it('decodes UTF-8 bytes', () => {
    const m = parseHl7Message(Buffer.from(BASIC.replace('DOE', 'MÜLLER')));
    assert.equal(m.get('PID-5'), 'MÜLLER');
  });

  it('strips junk before MSH and reports how much', () => {
    const m = parseHl7Message('\x0bgarbage\r\n' + BASIC);
    assert.deepEqual(m.notes, [{ code: 'leading-junk-stripped', count: 10 }]);
    assert.equal(m.header.controlId, 'CTRL-1');
    assert.equal(m.toString(), BASIC.slice(0, -1));
  });

  it('skips blank and whitespace-only lines and reports them', () => {
    const m = parseHl7Message(`${lines[0]}\r\n\r\n${lines[1]}\r\n   \r\n${lines[2]}\r\n`);
    assert.deepEqual(m.segmentIds(), ['MSH', 'PID', 'OBX']);
    assert.deepEqual(m.notes, [{ code: 'blank-lines-skipped', count: 2 }]);
  });

  it('refuses input with no header at all', () => {
    rejects(() => parseHl7Message(''), 'empty-input');
    rejects(() => parseHl7Message('PID|1||X\r'), 'no-header-segment');
    rejects(() => parseHl7Message('hello'), 'no-header-segment');
  });
});

describe('HL7 v2 non-default delimiters', () => {
  const translate = (s: string) => s.replace(/[|^~\\&]/g, (c) => ({ '|': '#', '^': '$', '~': '%', '\\': '@', '&': '!' })[c]!);

  it('takes every delimiter from MSH-1 and MSH-2 (MSH#$%@!)', () => {
    const text = BASIC.replace('DOE', 'DOE\\T\\SONS\\F\\');
    const normal = parseHl7Message(text);
    const odd = parseHl7Message(translate(text));
    assert.deepEqual(odd.delimiters, { field: '#', component: '$', repetition: '%', escape: '@', subcomponent: '!' });
    assert.equal(odd.get('MSH-1'), '#');
    assert.equal(odd.get('MSH-2'), '$%@!');
    assert.deepEqual(odd.header, normal.header);
    // Escapes decode to the message's own delimiters.
    assert.equal(normal.get('PID-5'), 'DOE&SONS|');
    assert.equal(odd.get('PID-5'), 'DOE!SONS#');
    for (let i = 2; i <= normal.segmentCount; i++) {
      const a = normal.segment(i);
      const b = odd.segment(i);
      assert.equal(b.fieldCount, a.fieldCount);
      for (let f = 1; f <= a.fieldCount; f++) if (f !== 5 || a.id !== 'PID') assert.deepEqual(b.tree(f), a.tree(f));
    }
  });

  it('reads the v2.7 truncation character and \\P\\', () => {
    const m = parseHl7Message(seg('MSH|^~\\&#|A|B|C|D|20250101||ADT^A01|1|P|2.7', 'PID|1||X\\P\\Y#'));
    assert.equal(m.delimiters.truncation, '#');
    assert.equal(m.get('MSH-2'), '^~\\&#');
    assert.equal(m.get('PID-3'), 'X#Y#');
  });

  it('rejects encoding characters that repeat or collide with the field separator', () => {
    for (const enc of ['^~\\\\&', '^^\\&', '|~\\&', '^~\\', '^~\\&#!', 'A~\\&']) {
      const e = rejects(() => parseHl7Message(seg(`MSH|${enc}|A|B|C|D|20250101||ADT^A01|1|P|2.5`, 'PID|1')), 'invalid-encoding-characters', 'malformed');
      assert.equal(e.location.field, 'MSH-2');
    }
    rejects(() => parseHl7Message(seg('MSHA^~\\&A', 'PID|1')), 'no-header-segment');
  });
});

describe('HL7 v2 escape sequences', () => {
  const d = DEFAULT_DELIMITERS;
  it('decodes \\F\\ \\S\\ \\T\\ \\R\\ \\E\\', () => {
    assert.equal(decodeEscapes('a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f', d), 'a|b^c&d~e\\f');
  });
  it('decodes \\Xhh..\\ as UTF-8 (falling back to ISO 8859-1) and \\.br\\ as a line break', () => {
    assert.equal(decodeEscapes('x\\X0D0A\\y', d), 'x\r\ny');
    assert.equal(decodeEscapes('caf\\XC3A9\\', d), 'café');
    assert.equal(decodeEscapes('caf\\XE9\\', d), 'café');
    assert.equal(decodeEscapes('line1\\.br\\line2', d), 'line1\nline2');
  });
  it('keeps unknown or unterminated sequences verbatim and reports their kind only', () => {
    const report: EscapeReport = { unknown: [], unterminated: false };
    assert.equal(decodeEscapes('\\H\\bold\\N\\ \\Zsecret\\ \\.sp2\\ \\XZZ\\', d, report), '\\H\\bold\\N\\ \\Zsecret\\ \\.sp2\\ \\XZZ\\');
    assert.deepEqual(report.unknown, ['H', 'N', 'Z', '.sp', 'X']);
    const open: EscapeReport = { unknown: [], unterminated: false };
    assert.equal(decodeEscapes('a\\F', d, open), 'a\\F');
    assert.ok(open.unterminated);
  });
  it('decodes on access through the message, with a report', () => {
    const m = parseHl7Message(seg(MSH, 'NTE|1||Salmonella \\T\\ Shigella\\.br\\\\H\\next\\N\\'));
    const report: EscapeReport = { unknown: [], unterminated: false };
    assert.equal(m.get('NTE-3', report), 'Salmonella & Shigella\n\\H\\next\\N\\');
    assert.deepEqual(report.unknown, ['H', 'N']);
  });
  it('round-trips encodeEscapes for every delimiter and line breaks', () => {
    const text = 'a|b^c~d\\e&f\ng\rh';
    assert.equal(decodeEscapes(encodeEscapes(text, d), d), text);
  });
});

describe('HL7 v2 batches', () => {
  const msg = (id: string) => seg(MSH.replace('CTRL-1', id), 'PID|1||' + id);

  it('splits FHS/BHS … BTS/FTS and checks the counts', () => {
    const r = parseHl7Batch(`FHS|^~\\&|LAB\rBHS|^~\\&|LAB\r${msg('A')}${msg('B')}BTS|2\rBHS|^~\\&|LAB\r${msg('C')}BTS|1\rFTS|2\r`);
    assert.deepEqual(r.messages.map((m) => m.header.controlId), ['A', 'B', 'C']);
    assert.deepEqual(r.batches, [{ messageCount: 2, declaredCount: 2 }, { messageCount: 1, declaredCount: 1 }]);
    assert.ok(r.hasFileHeader);
    assert.deepEqual(r.rejected, []);
  });

  it('accepts a BTS without a count', () => {
    assert.deepEqual(parseHl7Batch(`BHS|^~\\&\r${msg('A')}BTS\r`).batches, [{ messageCount: 1 }]);
  });

  it('rejects a batch whose BTS-1 or FTS-1 count does not match, as truncated', () => {
    let e = rejects(() => parseHl7Batch(`BHS|^~\\&\r${msg('A')}BTS|2\r`), 'batch-count-mismatch', 'truncated');
    assert.equal(e.location.field, 'BTS-1');
    e = rejects(() => parseHl7Batch(`FHS|^~\\&\rBHS|^~\\&\r${msg('A')}BTS|1\rFTS|3\r`), 'batch-count-mismatch', 'truncated');
    assert.equal(e.location.field, 'FTS-1');
  });

  it('rejects a batch or file that ends before its trailer', () => {
    rejects(() => parseHl7Batch(`BHS|^~\\&\r${msg('A')}${msg('B')}`), 'batch-trailer-missing', 'truncated');
    rejects(() => parseHl7Batch(`FHS|^~\\&\rBHS|^~\\&\r${msg('A')}BTS|1\r`), 'batch-trailer-missing', 'truncated');
  });

  it('rejects envelope segments out of place', () => {
    rejects(() => parseHl7Batch(`${msg('A')}BTS|1\r`), 'batch-structure');
    rejects(() => parseHl7Batch(`BHS|^~\\&\r${msg('A')}BTS|1\rFTS|1\r`), 'batch-structure');
    rejects(() => parseHl7Batch(`BHS|^~\\&\r${msg('A')}BTS|1\rFTS|1\r`), 'batch-structure');
    rejects(() => parseHl7Message(`BHS|^~\\&\r${msg('A')}BTS|1\r`), 'batch-structure');
  });

  it('rejects one broken message and keeps the rest', () => {
    const r = parseHl7Batch(`BHS|^~\\&\r${msg('A')}${msg('B').replace('|2.5.1|', '|2.1|')}${msg('C')}BTS|3\r`);
    assert.deepEqual(r.messages.map((m) => m.header.controlId), ['A', 'C']);
    assert.equal(r.rejected.length, 1);
    assert.equal(r.rejected[0]!.messageIndex, 2);
    assert.equal(r.rejected[0]!.error.reason, 'unsupported-version');
    assert.equal(r.rejected[0]!.error.location.messageIndex, 2);
  });
});

describe('HL7 v2 truncation and structure faults', () => {
  it('rejects an input cut inside a segment id, at the segment and with no content', () => {
    const e = rejects(() => parseHl7Message(seg(MSH, 'PID|1||X') + 'OB'), 'invalid-segment-id', 'truncated');
    assert.equal(e.location.segmentIndex, 3);
    assert.equal(e.location.segmentId, undefined);
  });

  it('rejects a segment id that is not 3 upper-case letters or digits, anywhere', () => {
    for (const bad of ['pid|1', 'PI|1', 'P-D|1', 'PIDX|1', 'free text line']) {
      const e = rejects(() => parseHl7Message(seg(MSH, bad, 'OBX|1')), 'invalid-segment-id', 'malformed');
      assert.equal(e.location.segmentIndex, 2);
    }
  });

  it('rejects a message that is MSH alone', () => {
    rejects(() => parseHl7Message(seg(MSH)), 'missing-body', 'truncated');
  });

  it('rejects an input cut inside MSH before its required fields', () => {
    const e = rejects(() => parseHl7Message('MSH|^~\\&|LAB|NORTH|VIGIL|MAIN|2025'), 'required-field-missing', 'truncated');
    assert.equal(e.location.field, 'MSH-9');
  });

  it('rejects an input cut inside an escape sequence', () => {
    rejects(() => parseHl7Message(seg(MSH) + 'NTE|1||text \\X0'), 'cut-in-escape-sequence', 'truncated');
  });

  it('rejects an input cut right after a segment id', () => {
    rejects(() => parseHl7Message(seg(MSH, 'PID|1') + 'OBX|'), 'unterminated-final-segment', 'truncated');
  });

  it('says when the last segment had no terminator, and refuses it when asked to', () => {
    const text = seg(MSH, 'PID|1||X') + 'OBX|1|ST|A||val';
    const m = parseHl7Message(text);
    assert.equal(m.finalSegmentTerminated, false);
    assert.deepEqual(m.notes, [{ code: 'unterminated-final-segment' }]);
    rejects(() => parseHl7Message(text, { requireTerminator: true }), 'unterminated-final-segment', 'truncated');
    assert.ok(parseHl7Message(text + '\r', { requireTerminator: true }).finalSegmentTerminated);
  });

  it('never echoes message content in an error', () => {
    const secret = 'QUIXOTEPATIENT';
    const text = seg(MSH, `PID|1||${secret}^^^H^MR||${secret}^${secret}`, `OBX|1|ST|A||${secret}\\X4`);
    for (let cut = 0; cut <= text.length; cut++) {
      for (const variant of [text.slice(0, cut), text.slice(0, cut).toLowerCase(), text.slice(0, cut).replace('PID', secret)]) {
        try {
          parseHl7Message(variant, { requireTerminator: true });
        } catch (err) {
          assert.ok(err instanceof Hl7ParseError);
          assert.ok(!err.message.toUpperCase().includes('QUIX'), err.message);
          assert.ok(!JSON.stringify(err.location).toUpperCase().includes('QUIX'));
        }
      }
    }
  });
});
