import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DateTime } from 'luxon';
import { Hl7ParseError, parseHl7Message, type Hl7Message } from '../adapters/hl7v2/index.ts';
import { mapHl7Message } from '../adapters/hl7v2/map/index.ts';
import { parseSourceProfile } from '../adapters/source-profile-parse.ts';
import { baseTime, planTraffic, type SimulatedMessage } from './plan.ts';
import { SIMULATOR_SOURCES } from './sources.ts';
import { hospitalMrns, summarizePlan } from './summary.ts';

const SEED = 'plan-test';
const plan = planTraffic({ patients: 30, seed: SEED });
const profiles = new Map(SIMULATOR_SOURCES.map((s) => [s.name as string, parseSourceProfile(s.profile)]));
const zones = new Map(SIMULATOR_SOURCES.map((s) => [s.name as string, s.timeZone]));
const HOUR = 3_600_000;

interface Read {
  m: SimulatedMessage;
  i: number;
  msg: Hl7Message;
  mrn: string;
  at: number;
}

/** Every message that should parse, with its position, main MRN and MSH-7 read in its source's zone. */
const read: Read[] = plan.flatMap((m, i) => {
  if (m.kind === 'malformed') return [];
  const msg = parseHl7Message(m.text, { requireTerminator: true });
  const at = DateTime.fromFormat(msg.get('MSH-7')!, 'yyyyLLddHHmmss', { zone: zones.get(m.source)! }).toMillis();
  return [{ m, i, msg, mrn: msg.get('PID-3.1')!, at }];
});
const clinical = read.filter((r) => r.m.kind !== 'duplicate' && r.m.kind !== 'replay');
const event = (r: Read) => `${r.msg.header.messageType}^${r.msg.header.triggerEvent}`;
const localMs = (r: Read, path: string) => DateTime.fromFormat(r.msg.get(path)!, 'yyyyLLddHHmmss', { zone: zones.get(r.m.source)! }).toMillis();

describe('planTraffic', () => {
  it('gives byte-identical plans for the same seed (number or text) and different ones for another seed', () => {
    assert.deepEqual(planTraffic({ patients: 30, seed: SEED }), plan);
    assert.deepEqual(planTraffic({ patients: 12, seed: 42 }), planTraffic({ patients: 12, seed: '42' }));
    const other = planTraffic({ patients: 30, seed: 'plan-test-2' });
    assert.notDeepEqual(other.map((m) => m.text), plan.map((m) => m.text));
    assert.ok(!other.some((m) => plan.some((p) => p.controlId === m.controlId)), 'two seeds never share a control id');
  });

  it('holds every kind of message, and each well-formed one parses strictly and maps with its source profile', () => {
    const kinds = new Set(plan.map((m) => m.kind));
    for (const kind of ['adt', 'oru', 'rde', 'ras', 'merge', 'malformed', 'duplicate', 'replay'] as const) assert.ok(kinds.has(kind), kind);
    for (const r of read) {
      assert.equal(r.m.expectedAck, 'AA');
      const out = mapHl7Message(r.msg, { profile: profiles.get(r.m.source)!, sourceId: `src-${r.m.source}`, now: new Date() });
      assert.ok(out.ok, `${r.m.controlId}: ${out.ok ? '' : out.error.message}`);
    }
    const events = new Set(clinical.map(event));
    for (const e of ['ADT^A01', 'ADT^A03', 'ADT^A04', 'ADT^A08', 'ADT^A40', 'ORU^R01', 'RDE^O11', 'RAS^O17']) assert.ok(events.has(e), e);
  });

  it('has broken messages of every kind, each refused by the parser (AR) or the mapper (the ACK it names)', () => {
    const outcomes = plan
      .filter((m) => m.kind === 'malformed')
      .map((m) => {
        try {
          const msg = parseHl7Message(m.text, { requireTerminator: true });
          const out = mapHl7Message(msg, { profile: profiles.get(m.source)!, sourceId: 'src', now: new Date() });
          assert.ok(!out.ok, `${m.controlId} should be refused`);
          assert.equal(out.error.ackCode, m.expectedAck);
          return `map-${out.error.kind}`;
        } catch (err) {
          if (!(err instanceof Hl7ParseError)) throw err;
          assert.equal(m.expectedAck, 'AR');
          return `parse-${err.kind}`;
        }
      });
    assert.deepEqual(new Set(outcomes), new Set(['parse-truncated', 'parse-malformed', 'parse-unsupported-version', 'map-missing-required']));
  });

  it('resends duplicates byte for byte, replays old messages under a new control id, and names only earlier messages in sendAfter', () => {
    const seen = new Map<string, number>();
    plan.forEach((m, i) => {
      if (m.sendAfter !== undefined) {
        const before = plan.findIndex((p) => p.controlId === m.sendAfter);
        assert.ok(before >= 0 && before < i, `${m.controlId} waits for an earlier message`);
      }
      if (m.kind === 'duplicate') assert.equal(plan[seen.get(m.controlId)!]!.text, m.text);
      else if (m.kind === 'replay') {
        const original = plan.find((p) => p.controlId === m.sendAfter)!;
        assert.notEqual(m.controlId, original.controlId);
        assert.equal(m.text.replace(`|${m.controlId}|`, '|'), original.text.replace(`|${original.controlId}|`, '|'));
      } else assert.ok(!seen.has(m.controlId), `control id ${m.controlId} used once`);
      if (!seen.has(m.controlId)) seen.set(m.controlId, i);
    });
  });

  it('delivers out of order: results before their registration, updates before the admission, finals before preliminaries', () => {
    const firstAdt = (mrn: string) => clinical.find((r) => r.m.kind === 'adt' && r.mrn === mrn)?.i ?? Infinity;
    assert.ok(clinical.some((r) => r.m.kind === 'oru' && r.i < firstAdt(r.mrn)), 'a result before any ADT of its patient');
    assert.ok(
      clinical.some((u) => event(u) === 'ADT^A08' && clinical.some((a) => ['ADT^A01', 'ADT^A04'].includes(event(a)) && a.mrn === u.mrn && a.i > u.i && a.at < u.at)),
      'an update delivered before the older admission',
    );
    const report = (r: Read) => ({ filler: r.msg.get('OBR-3'), status: r.msg.get('OBR-25') });
    const orus = clinical.filter((r) => r.m.kind === 'oru');
    assert.ok(orus.some((f) => report(f).status === 'F' && orus.some((p) => report(p).filler === report(f).filler && report(p).status === 'P' && p.i > f.i)), 'a final before its preliminary');
  });

  it('corrects some results later (OBR-25 and OBX-11 C) and merges a double registration days later in message time', () => {
    const corrected = clinical.filter((r) => r.msg.get('OBR-25') === 'C');
    assert.ok(corrected.length > 0);
    for (const c of corrected) {
      assert.ok(c.msg.segments('OBX').some((obx) => obx.get(11) === 'C'));
      const final = clinical.find((r) => r.msg.get('OBR-3') === c.msg.get('OBR-3') && r.msg.get('OBR-25') === 'F');
      assert.ok(final && final.i < c.i && final.at < c.at);
    }
    const merges = clinical.filter((r) => event(r) === 'ADT^A40');
    assert.ok(merges.length >= 3, 'one double registration per ten people');
    for (const merge of merges) {
      const retired = merge.msg.get('MRG-1.1')!;
      assert.notEqual(retired, merge.mrn);
      const registered = clinical.filter((r) => r.mrn === retired);
      assert.ok(registered.length > 0 && registered.every((r) => r.i < merge.i && r.at < merge.at), 'everything about the mistaken registration comes first');
      assert.ok(merge.at - Math.min(...registered.map((r) => r.at)) >= 2 * 24 * HOUR, 'merged days after the mistaken registration');
      assert.ok(clinical.some((r) => r.mrn === merge.mrn && r.m.kind === 'adt'), 'the survivor has its own registration');
    }
  });

  it('leaves a silent gap in the lab feed: results made during an outage are sent in one burst after it', () => {
    const lab = clinical.filter((r) => r.m.source === 'sim-lab');
    const held = lab.filter((r) => r.at - localMs(r, 'OBR-22') >= HOUR);
    assert.ok(held.length > 0);
    const from = Math.min(...held.map((r) => localMs(r, 'OBR-22')));
    const to = Math.min(...held.map((r) => r.at));
    assert.ok(to - from >= 3 * HOUR, 'silent for hours');
    assert.ok(!lab.some((r) => r.at > from && r.at < to), 'no lab message inside the gap');
    assert.ok(read.some((r) => r.m.source !== 'sim-lab' && r.at > from && r.at < to), 'other feeds go on meanwhile');
  });

  it('writes naive local times within the few days before the seed\'s base time', () => {
    const base = baseTime(SEED);
    for (const r of read) {
      assert.match(r.msg.get('MSH-7')!, /^\d{14}$/);
      assert.ok(r.at > base - 4 * 24 * HOUR - HOUR && r.at <= base + 5 * HOUR, r.m.controlId);
    }
  });

  it('writes people the ways real feeds do: shouted padded capitals, hyphens, nicknames across sources, twins', () => {
    const adt = clinical.filter((r) => r.m.kind === 'adt');
    assert.ok(adt.some((r) => /^[A-ZÀ-ÖØ-Þ' .-]+ {2}\^[A-ZÀ-ÖØ-Þ' .-]+ /.test(r.msg.raw('PID-5')!)), 'ALL-CAPS names with trailing spaces');
    assert.ok(adt.some((r) => r.msg.get('PID-5.1')!.includes('-')), 'a hyphenated surname');
    const givenIn = (source: string, mrn: string) => clinical.find((r) => r.m.source === source && r.mrn === mrn)?.msg.get('PID-5.2')?.trim().toLowerCase();
    assert.ok(adt.some((r) => givenIn('sim-lab', r.mrn) !== undefined && givenIn('sim-lab', r.mrn) !== r.msg.get('PID-5.2')!.trim().toLowerCase()), 'the lab knows someone by another given name');
    const household = (r: Read) => [r.msg.get('PID-5.1')!.trim().toLowerCase(), r.msg.get('PID-7'), r.msg.get('PID-11.1')].join('|');
    assert.ok(adt.some((a) => adt.some((b) => a.mrn !== b.mrn && household(a) === household(b) && a.msg.get('PID-5.2') !== b.msg.get('PID-5.2'))), 'twins');
  });

  it('counts people from the messages themselves: the new ones and the known ones, a merged registration once', () => {
    const known = [{ mrn: 'D100101', family: 'Ashford-Demo', given: 'Marion', birthDate: '1948-03-14', sex: 'female' }];
    const withKnown = planTraffic({ patients: 10, seed: 5, knownPatients: known });
    assert.ok(withKnown.some((m) => m.kind === 'adt' && hospitalMrns(m.text).named.includes('D100101')));
    assert.equal(summarizePlan(withKnown).persons, 11);
    assert.equal(summarizePlan(plan).persons, 30);
  });

  it('uses only the sources asked for, and no duplicates or broken messages when their rates are zero', () => {
    const adtOnly = planTraffic({ patients: 8, seed: 3, sources: 1, duplicateRate: 0, malformedRate: 0 });
    assert.deepEqual(new Set(adtOnly.map((m) => m.source)), new Set(['sim-adt']));
    assert.deepEqual(new Set(adtOnly.map((m) => m.kind)), new Set(['adt', 'merge']));
    assert.ok(!planTraffic({ patients: 8, seed: 3, sources: 2 }).some((m) => m.source === 'sim-pharmacy'));
  });

  it('refuses options it cannot honour', () => {
    assert.throws(() => planTraffic({ patients: 0, seed: 1 }), RangeError);
    assert.throws(() => planTraffic({ patients: 2.5, seed: 1 }), RangeError);
    assert.throws(() => planTraffic({ patients: 5, seed: 1, sources: 4 }), RangeError);
    assert.throws(() => planTraffic({ patients: 5, seed: 1, duplicateRate: -0.1 }), RangeError);
    assert.throws(() => planTraffic({ patients: 5, seed: '' }), RangeError);
  });
});
