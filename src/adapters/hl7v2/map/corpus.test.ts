import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { NormalizedMessage } from '../../../model/clinical.ts';
import type { Hl7Message } from '../message.ts';
import { parseHl7Batch } from '../parse.ts';
import { mapHl7Message } from './index.ts';
import { context, facts, medicationBody, observationBody } from './test-helpers.ts';

// The shared acceptance corpus (origins in test/fixtures/hl7/SOURCES.md).
const CORPUS = join(import.meta.dirname, '../../../../test/fixtures/hl7');
const files = readdirSync(CORPUS).filter((f) => f.endsWith('.hl7')).sort();
const messagesOf = (f: string) => parseHl7Batch(readFileSync(join(CORPUS, f))).messages;

/** Files whose messages are refused by the mapper, with the HL7 error code the sender gets back. */
const REFUSED: Record<string, 200 | 201> = {
  'hapi_cv.04_001_chem.hl7': 200, // ERP^Z99, a Z-message
  'hapi_omd_o03_rep.hl7': 200, // OMD^O03 dietary order
  'mscvt_ADT-A41-01.hl7': 201, // ADT^A41 merge account
  'mscvt_IZ_1_1.1_Admin_Child_Max_Message.hl7': 200, // VXU^V04
  'mscvt_OML-O21-01.hl7': 200,
  'mscvt_RDE-O25-01.hl7': 201, // refill request, not an encoded order
  'mscvt_RDS-O13-01.hl7': 200, // dispense
  'mscvt_SIU-S12-01.hl7': 200,
  'mscvt_SIU-S14-01.hl7': 200,
  'mscvt_SIU-S15-01.hl7': 200,
  'mscvt_VXU-V04-01.hl7': 200,
  'mscvt_VXU.hl7': 200,
  'nhc_corepoint_siu-example.hl7': 200,
  'nhc_invalid_bad-phone-example.hl7': 200,
};

/** Refused by the parser already (docs/hl7v2.md): nothing reaches the mapper. */
const UNPARSEABLE = new Set(['lfh_sample_unix.hl7', 'lfh_sample_win.hl7', 'nhc_adt-example.hl7']);

const POSITION = /^[A-Z][A-Z0-9]{2}(\[\d+\])?$/;
const FIELD_POSITION = /^[A-Z][A-Z0-9]{2}(\[\d+\])?(-\d+(\[\d+\])?)?$/;

function mapAll(f: string): { message: Hl7Message; normalized: NormalizedMessage }[] {
  return messagesOf(f).map((message) => {
    const out = mapHl7Message(message, context());
    if (!out.ok) assert.fail(`${f}: ${out.error.code} ${out.error.reason}`);
    return { message, normalized: out.normalized };
  });
}

function mapOne(f: string): NormalizedMessage {
  const all = mapAll(f);
  assert.equal(all.length, 1);
  return all[0]!.normalized;
}

function count(message: Hl7Message, id: string): number {
  return message.segmentIds().filter((s) => s === id).length;
}

describe('mapping the HL7 v2 corpus', () => {
  for (const f of files) {
    if (UNPARSEABLE.has(f)) continue;
    const refused = REFUSED[f];
    it(`${f}: ${refused ? `is refused with AR ${refused}` : 'maps'}`, () => {
      if (refused) {
        for (const message of messagesOf(f)) {
          const out = mapHl7Message(message, context());
          assert.ok(!out.ok);
          assert.deepEqual([out.error.kind, out.error.ackCode, out.error.hl7ErrorCode], ['unsupported-event', 'AR', refused]);
        }
        return;
      }
      for (const { message, normalized } of mapAll(f)) {
        assert.equal(normalized.groups.length, count(message, 'PID'));
        for (const g of normalized.groups) {
          assert.ok(g.patient.identifiers.length > 0);
          assert.ok(g.patient.identifiers.every((i) => i.value !== '' && i.system !== ''));
          assert.match(g.position, POSITION);
        }
        const all = facts(normalized);
        assert.equal(facts(normalized, 'observation').length, count(message, 'OBX') * Number(normalized.event === 'ORU^R01'));
        assert.equal(facts(normalized, 'diagnostic-report').length, normalized.event.startsWith('MDM^') ? 0 : count(message, 'OBR'));
        if (normalized.event.startsWith('MDM^')) assert.equal(facts(normalized, 'document').length, count(message, 'TXA'));
        assert.equal(facts(normalized, 'medication-request').length, normalized.event === 'RDE^O11' ? count(message, 'ORC') : 0);
        // A merge per MRG; a link or unlink (A24, A37) is one statement about its two PIDs.
        const pairs = normalized.event === 'ADT^A24' || normalized.event === 'ADT^A37' ? 1 : 0;
        assert.equal(normalized.merges.length, count(message, 'MRG') + pairs);
        assert.equal(new Set(all.map((x) => `${x.kind} ${x.sourceKey}`)).size, all.length, 'source keys are unique within a message');
        for (const x of all) assert.match(x.position, POSITION);
        const flags = [...normalized.flags, ...normalized.groups.flatMap((g) => [...g.patient.flags, ...(g.encounter?.flags ?? [])]), ...all.flatMap((x) => x.flags)];
        for (const fl of flags) assert.match(fl.at ?? '', FIELD_POSITION, 'a flag names a position, never a value');
      }
    });
  }

  it('covers all 40 corpus files; the 3 the parser refuses never reach the mapper', () => {
    assert.equal(files.length, 40);
    for (const f of UNPARSEABLE) assert.equal(messagesOf(f).length, 0, f);
  });

  it('the 124-message ADT batch maps A31, A01 and A04 alike, each with its patient', () => {
    const mapped = mapAll('mirth_simplesender_TestADT.hl7');
    const events = new Map<string, number>();
    for (const { normalized } of mapped) events.set(normalized.event, (events.get(normalized.event) ?? 0) + 1);
    assert.deepEqual(Object.fromEntries(events), { 'ADT^A31': 66, 'ADT^A01': 49, 'ADT^A04': 9 });
    assert.ok(mapped.filter((m) => m.normalized.event !== 'ADT^A31').every((m) => m.normalized.groups[0]!.encounter !== undefined));
    assert.ok(mapped.filter((m) => m.normalized.event === 'ADT^A31').every((m) => m.normalized.groups[0]!.encounter === undefined));
  });

  it('mscvt_ADT-A01-01: legal name, identifiers with authorities, stated birth date, visit', () => {
    const normalized = mapOne('mscvt_ADT-A01-01.hl7');
    const g = normalized.groups[0]!;
    assert.deepEqual(g.patient.identifiers.map((i) => [i.value, i.authority, i.type]), [['PATID1234', 'test1', 'MR'], ['123456789', 'USSSA', 'SS']]);
    assert.deepEqual([g.patient.family, g.patient.given, g.patient.birthDate, g.patient.sex], ['Josh', ['stanley'], '1988-08-18', 'male']);
    assert.deepEqual([g.encounter?.sourceKey, g.encounter?.status, g.encounter?.class], ['40007716', 'in-progress', 'preadmit']);
    assert.deepEqual(normalized.sourceTime, { instant: '1989-08-18T09:11:00.000Z', zoneFrom: 'stated', zone: '+0215', precision: 'minute' });
  });

  it('mscvt_ADT-A40-02: two merges, each survivor with the record it absorbs', () => {
    const normalized = mapOne('mscvt_ADT-A40-02.hl7');
    assert.deepEqual(normalized.merges.map((m) => [m.survivor.value, m.retired.value, m.retired.authority]), [['12345', '56789', 'BCBS'], ['145', '569', 'BCBS']]);
  });

  it('hapi_segmentfinder_a24 (non-default delimiters): a link of the two PIDs, each registered', () => {
    const normalized = mapOne('hapi_segmentfinder_a24.hl7');
    assert.deepEqual(normalized.merges.map((m) => [m.kind, m.survivor.value, m.survivor.authority, m.retired.value]), [['link', '11111', 'FOO', '22222']]);
    assert.equal(normalized.groups.length, 2);
  });

  it('mscvt_ADT01-23 (all capitals, v2.3): names in title case, flagged', () => {
    const normalized = mapOne('mscvt_ADT01-23.hl7');
    const p = normalized.groups[0]!.patient;
    assert.deepEqual([p.family, p.given], ['Duck', ['Donald', 'D']]);
    assert.ok(p.flags.some((x) => x.code === 'name-case-normalized'));
  });

  it('nhc_nist corrected result: report and observation corrected, a UCUM quantity flagged high', () => {
    const normalized = mapOne('nhc_nist_ORU_R01_corrected_TestCase3.hl7');
    const [report] = facts(normalized, 'diagnostic-report');
    const [obs] = facts(normalized, 'observation');
    assert.deepEqual([report!.status, obs!.status], ['corrected', 'corrected']);
    assert.deepEqual(observationBody(obs).value, { type: 'quantity', quantity: { value: 25, unit: 'ug/dl', system: 'http://unitsofmeasure.org', code: 'ug/dl' } });
    assert.deepEqual([observationBody(obs).referenceRange, observationBody(obs).interpretation, observationBody(obs).reportKey], ['<10 ug/dl', 'H', report!.sourceKey]);
    assert.equal(obs!.effective?.instant, '2008-08-15T17:30:00.000Z');
  });

  it('mscvt_LAB-ORU-1: each result keeps its own status, incomplete ones registered', () => {
    const normalized = mapOne('mscvt_LAB-ORU-1.hl7');
    assert.deepEqual(facts(normalized, 'observation').map((x) => x.status), ['registered', 'preliminary', 'registered', 'preliminary', 'final', ...Array(5).fill('preliminary')]);
    assert.deepEqual(facts(normalized, 'diagnostic-report').map((x) => x.status), ['final', 'unknown']);
  });

  it('nhc_realm-cj-joeslab: two reports on one order stay apart; final and preliminary results mixed', () => {
    const normalized = mapOne('nhc_realm-cj-joeslab_ORU.hl7');
    const reports = facts(normalized, 'diagnostic-report').map((x) => x.sourceKey);
    assert.deepEqual(reports, ['filler:9700123^Lab/625-4', 'filler:9700123^Lab/10368-9']);
    assert.deepEqual(facts(normalized, 'observation').map((x) => [x.status, observationBody(x).reportKey]), [['preliminary', reports[0]], ['final', reports[1]]]);
  });

  it('mscvt_ORU-R01-RMGEAD: a structured numeric result is a quantity', () => {
    const normalized = mapOne('mscvt_ORU-R01-RMGEAD.hl7');
    assert.deepEqual(observationBody(facts(normalized, 'observation')[0]).value, { type: 'quantity', quantity: { value: 182, unit: 'mg/dl' } });
  });

  it('mscvt_RDE-O11-01: the encoded order with NDC code, dose, route from the RXR after RXE', () => {
    const normalized = mapOne('mscvt_RDE-O11-01.hl7');
    const [request] = facts(normalized, 'medication-request');
    assert.deepEqual([request!.sourceKey, request!.status, request!.code?.codings[0]?.system], ['placer:1163422591^EPC', 'active', 'http://hl7.org/fhir/sid/ndc']);
    assert.equal(medicationBody(request).dosage?.route?.codings[0]?.display, 'Intravenous');
    assert.equal(medicationBody(request).dosage?.dose?.value, 5);
  });
});
