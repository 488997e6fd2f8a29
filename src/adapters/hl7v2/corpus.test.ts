import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Hl7ParseError, parseHl7Batch, parseHl7Message, type Hl7RejectReason } from './index.ts';

// Copies of the shared acceptance corpus; origins in test/fixtures/hl7/SOURCES.md.
const CORPUS = join(import.meta.dirname, '../../../test/fixtures/hl7');
const files = readdirSync(CORPUS).filter((f) => f.endsWith('.hl7')).sort();
const read = (f: string) => readFileSync(join(CORPUS, f));

/** Files that are genuinely broken, and why (docs/hl7v2.md, "What the corpus teaches"). */
const BROKEN: Record<string, Hl7RejectReason> = {
  // MSH-2 is `^~\\&`: escape and subcomponent characters would both be `\`, so `&`-split values are ambiguous.
  'lfh_sample_unix.hl7': 'invalid-encoding-characters',
  'lfh_sample_win.hl7': 'invalid-encoding-characters',
  // The whole message is on one line with spaces where the segment terminators belong.
  'nhc_adt-example.hl7': 'segment-separator-missing',
};

describe('HL7 v2 corpus', () => {
  it('holds the 40 files SOURCES.md lists', () => assert.equal(files.length, 40));

  for (const f of files) {
    it(`${f}: ${BROKEN[f] ? `is rejected (${BROKEN[f]})` : 'parses'}`, () => {
      const result = parseHl7Batch(read(f));
      if (BROKEN[f]) {
        assert.equal(result.messages.length, 0);
        assert.equal(result.rejected.length, 1);
        assert.equal(result.rejected[0]!.error.reason, BROKEN[f]);
        assert.equal(result.rejected[0]!.error.kind, 'malformed');
        return;
      }
      assert.equal(result.rejected.length, 0);
      assert.ok(result.messages.length >= 1);
      for (const m of result.messages) {
        assert.match(m.header.version, /^2\.[3-8]/);
        assert.ok(m.header.controlId.length > 0);
        assert.ok(m.segmentCount >= 2);
        // Every leaf, read two ways (one pass over the message, and field by field) must agree.
        const visited: string[] = [];
        m.forEachValue((si, fi, r, c, sc, v) => visited.push(`${si}/${fi}/${r}/${c}/${sc}=${v}`));
        const expected: string[] = [];
        for (const s of m.segments()) {
          for (let fi = 1; fi <= s.fieldCount; fi++) {
            s.tree(fi).forEach((rep, r) => rep.forEach((comp, c) => comp.forEach((v, sc) => expected.push(`${s.position}/${fi}/${r + 1}/${c + 1}/${sc + 1}=${v}`))));
            assert.equal(s.get(fi), s.tree(fi)[0]?.[0]?.[0]);
          }
        }
        assert.deepEqual(visited, expected);
      }
    });
  }

  it('notes the UTF-8 BOM on the 8 files that carry one', () => {
    const withBom = files.filter((f) => read(f).subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf])));
    assert.equal(withBom.length, 8);
    for (const f of withBom) assert.deepEqual(parseHl7Message(read(f)).notes.filter((n) => n.code === 'bom-stripped'), [{ code: 'bom-stripped' }]);
    // The same bytes as a string: the BOM arrives as U+FEFF.
    assert.equal(parseHl7Message(read(withBom[0]!).toString('utf8')).notes[0]!.code, 'bom-stripped');
  });

  it('mscvt_ADT-A01-01: header facts, repetitions, subcomponents and \\T\\', () => {
    const m = parseHl7Message(read('mscvt_ADT-A01-01.hl7'));
    assert.deepEqual(
      [m.header.messageType, m.header.triggerEvent, m.header.messageStructure, m.header.controlId, m.header.processingId, m.header.version],
      ['ADT', 'A01', 'ADT_A01', 'MSG00001', 'P', '2.8'],
    );
    assert.deepEqual(m.header.sendingFacility, { namespaceId: 'GHHSFacility', universalId: '2.16.840.1.122848.1.30', universalIdType: 'ISO' });
    assert.equal(m.header.sendingApplication.namespaceId, 'ADTApp');
    assert.equal(m.get('MSH-1'), '|');
    assert.equal(m.get('MSH-2'), '^~\\&');
    assert.equal(m.get('PID-3[1].1'), 'PATID1234');
    assert.equal(m.get('PID-3[1].4.2'), '2.16.1');
    assert.equal(m.get('PID-3[2].1'), '123456789');
    assert.equal(m.get('PID-3[2].4'), 'USSSA');
    assert.equal(m.get('PID-3[3].1'), undefined);
    assert.equal(m.get('PID-5[2].1.1'), 'Josh');
    assert.equal(m.get('PID-5.1.5'), 'Aniston');
    assert.equal(m.get('PV1-14'), 'NHS Provider-General (inc.A&E-this Hosp)');
    assert.equal(m.raw('PV1-14'), 'NHS Provider-General (inc.A\\T\\E-this Hosp)');
  });

  it('nhc_nist corrected result: OBR-25 and OBX-11 are C', () => {
    const m = parseHl7Message(read('nhc_nist_ORU_R01_corrected_TestCase3.hl7'));
    assert.deepEqual(m.separators, ['CR']);
    assert.equal(m.get('OBR-25'), 'C');
    assert.equal(m.get('OBX-11'), 'C');
    assert.equal(m.get('OBX-3.1'), '10368-9');
    assert.equal(m.segments('OBX').length, m.segmentIds().filter((id) => id === 'OBX').length);
  });

  it('hapi_segmentfinder_a24: non-default delimiters (field ^, component ~, repetition |)', () => {
    const m = parseHl7Message(read('hapi_segmentfinder_a24.hl7'));
    assert.deepEqual(m.delimiters, { field: '^', component: '~', repetition: '|', escape: '\\', subcomponent: '&' });
    assert.equal(m.get('MSH-1'), '^');
    assert.deepEqual([m.header.messageType, m.header.triggerEvent, m.header.version], ['ADT', 'A24', '2.4']);
    assert.equal(m.segments('PID').length, 2);
    assert.equal(m.get('PID[2]-1'), '2');
    assert.equal(m.get('PID-3[1].1'), '11111');
    assert.equal(m.get('PID-3[1].4.1'), 'FOO');
    assert.equal(m.get('PID-3[1].4.3'), '0363');
    assert.equal(m.get('PID-3.5'), 'NI');
    assert.equal(m.get('PID-3.6.1'), 'FACILITY ID');
    assert.equal(m.get('PID-3.6.2'), '200M');
    assert.equal(m.get('PID-3[2].1'), undefined);
    assert.equal(m.get('PID-5.2'), 'JOHN');
  });

  it('hapi_cv.04: a Z-message with Z-segments kept in order, LF separators', () => {
    const m = parseHl7Message(read('hapi_cv.04_001_chem.hl7'));
    assert.equal(m.header.messageType, 'ERP');
    assert.ok(m.segments('ZNT').length >= 1);
    assert.deepEqual(m.separators, ['LF']);
    assert.equal(m.get('PID-3.9.2'), 'ONTARIO');
  });

  it('mirth TestADT: 124 messages written back to back, blank lines skipped', () => {
    const r = parseHl7Batch(read('mirth_simplesender_TestADT.hl7'));
    assert.equal(r.messages.length, 124);
    assert.deepEqual(r.batches, [{ messageCount: 124 }]);
    assert.equal(r.messages[0]!.header.controlId, '603261');
    assert.equal(r.messages[123]!.header.controlId, '603266');
    assert.ok(r.notes.some((n) => n.code === 'blank-lines-skipped'));
    assert.throws(() => parseHl7Message(read('mirth_simplesender_TestADT.hl7')), (e: unknown) => e instanceof Hl7ParseError && e.reason === 'multiple-messages');
  });

  it('mirth hl7.txt: [SOM] before MSH and [EOM][CR] after the last segment are stripped and noted', () => {
    const m = parseHl7Message(read('mirth_simplesender_hl7.hl7'));
    assert.deepEqual(m.notes, [{ code: 'leading-junk-stripped', count: 5 }, { code: 'trailing-framing-stripped', count: 9 }]);
    const in2 = m.segments().at(-1)!;
    assert.equal(in2.id, 'IN2');
    assert.equal(in2.get(in2.fieldCount), '9415248956');
    assert.ok(m.finalSegmentTerminated);
  });

  it('nhc_cerner: mixed CR and LF separators are read and reported', () => {
    const m = parseHl7Message(read('nhc_cerner_en_ORU.hl7'));
    assert.ok(m.notes.some((n) => n.code === 'mixed-segment-separators'));
  });
});
