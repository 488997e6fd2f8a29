import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IANAZone } from 'luxon';
import type { QualityFlag } from '../../../model/quality.ts';
import { DEFAULT_PROFILE, type SourceProfile } from '../../source-profile.ts';
import { mapHl7Message, SourceProfileError } from './index.ts';
import { context, hl7, mapOk, msh, PID } from './test-helpers.ts';
import { birthDate, hl7Time, resolveWallClock, zoneOffsetMinutes } from './time.ts';

const newYork: SourceProfile = { ...DEFAULT_PROFILE, timeZone: 'America/New_York' };
const london: SourceProfile = { ...DEFAULT_PROFILE, timeZone: 'Europe/London' };

function read(value: string, profile: SourceProfile = newYork) {
  const flags: QualityFlag[] = [];
  const time = hl7Time(value, profile, 'OBX-14', flags);
  return { time, flags: flags.map((f) => `${f.code}@${f.at}`) };
}

describe('HL7 timestamps', () => {
  it('uses an offset the source states, and says so', () => {
    assert.deepEqual(read('20240102083000+0130').time, { instant: '2024-01-02T07:00:00.000Z', zoneFrom: 'stated', zone: '+0130', precision: 'second' });
    assert.deepEqual(read('200808151030-0700').time, { instant: '2008-08-15T17:30:00.000Z', zoneFrom: 'stated', zone: '-0700', precision: 'minute' });
    assert.deepEqual(read('20240102083000+0130').flags, []);
  });

  it("reads a timestamp without offset as wall time in the profile's zone, winter and summer", () => {
    assert.deepEqual(read('20240102083000'), { time: { instant: '2024-01-02T13:30:00.000Z', zoneFrom: 'profile', zone: 'America/New_York', precision: 'second' }, flags: [] });
    assert.equal(read('20240702083000').time?.instant, '2024-07-02T12:30:00.000Z');
  });

  it('keeps the precision the source gave, from year to fractions of a second', () => {
    assert.deepEqual(
      ['2024', '202407', '20240702', '2024070208', '202407020830', '20240702083015', '20240702083015.1234'].map((v) => read(v).time?.precision),
      ['year', 'month', 'day', 'hour', 'minute', 'second', 'fraction'],
    );
    assert.equal(read('2024').time?.instant, '2024-01-01T05:00:00.000Z');
    assert.equal(read('20240702083015.1234').time?.instant, '2024-07-02T12:30:15.123Z');
    assert.equal(read('20080818183002.1-0700').time?.instant, '2008-08-19T01:30:02.100Z');
  });

  it('a local time skipped by the spring-forward gap lands after the gap, the same way every time', () => {
    // 02:30 on 10 March 2024 never happened in New York: read with the offset before the jump it is 03:30 EDT.
    assert.equal(read('202403100230').time?.instant, '2024-03-10T07:30:00.000Z');
    assert.equal(read('202403100230').time?.instant, read('202403100230').time?.instant);
    assert.equal(read('202403100159').time?.instant, '2024-03-10T06:59:00.000Z');
    assert.equal(read('202403100300').time?.instant, '2024-03-10T07:00:00.000Z');
    assert.equal(read('202403310130', london).time?.instant, '2024-03-31T01:30:00.000Z');
  });

  it('a local time repeated by the fall-back overlap is the first of the two', () => {
    assert.equal(read('202411030130').time?.instant, '2024-11-03T05:30:00.000Z');
    assert.equal(read('202411030059').time?.instant, '2024-11-03T04:59:00.000Z');
    assert.equal(read('202411030200').time?.instant, '2024-11-03T07:00:00.000Z');
    assert.equal(read('202410270130', london).time?.instant, '2024-10-27T00:30:00.000Z');
  });

  it('flags a value that is not an HL7 timestamp and keeps nothing from it', () => {
    for (const bad of ['2024-01-02', '20241302', '20230229', '202401021260', '2024010224', 'yesterday', '20240102083000+2500', '20240102 0830']) {
      assert.deepEqual(read(bad), { time: undefined, flags: ['timestamp-unparseable@OBX-14'] }, bad);
    }
    assert.equal(read('20240229').time?.instant, '2024-02-29T05:00:00.000Z');
  });

  it('an empty field or HL7 null is simply absent, not a data problem', () => {
    assert.deepEqual(read(''), { time: undefined, flags: [] });
    assert.deepEqual(read('""'), { time: undefined, flags: [] });
  });

  it('flags the zone as assumed only when the profile was left at its UTC default and the value has a time of day', () => {
    assert.deepEqual(read('20240102083000', DEFAULT_PROFILE).flags, ['timestamp-zone-assumed@OBX-14']);
    assert.equal(read('20240102083000', DEFAULT_PROFILE).time?.instant, '2024-01-02T08:30:00.000Z');
    assert.deepEqual(read('20240102', DEFAULT_PROFILE).flags, []);
    assert.deepEqual(read('20240102083000+0000', DEFAULT_PROFILE).flags, []);
    assert.deepEqual(read('20240102083000', { ...DEFAULT_PROFILE, timeZone: 'Etc/UTC' }).flags, []);
    assert.deepEqual(read('20240102083000').flags, []);
  });

  it('MSH-7 becomes the message source time', () => {
    const n = mapOk(hl7(msh('ADT^A31', '20240102083000'), PID));
    assert.equal(n.sourceTime?.instant, '2024-01-02T13:30:00.000Z');
    assert.deepEqual(n.flags, []);
    const bad = mapOk(hl7(msh('ADT^A31', '2024010208300'), PID));
    assert.equal(bad.sourceTime, undefined);
    assert.deepEqual(bad.flags, [{ code: 'timestamp-unparseable', at: 'MSH-7' }]);
  });

  it('a profile naming a zone that does not exist is a configuration fault, thrown rather than sent back to the source', () => {
    assert.throws(() => mapHl7Message(hl7(msh('ADT^A31'), PID), context({ timeZone: 'Mars/Olympus_Mons' })), SourceProfileError);
  });
});

/** The resolution as it was before the per-hour cache: luxon asked every time. The cache must agree with it exactly. */
function resolveUncached(local: number, zone: IANAZone): number {
  const day = 86_400_000;
  const before = zone.offset(local - day);
  const after = zone.offset(local + day);
  const valid = [...new Set([before, after])].map((o) => local - o * 60_000).filter((t) => zone.offset(t) * 60_000 === local - t);
  return valid.length > 0 ? Math.min(...valid) : local - before * 60_000;
}

/** Instants where the zone's offset changes in `year`, found day by day and narrowed to the minute. */
function changesIn(zone: IANAZone, year: number): number[] {
  const found: number[] = [];
  let t = Date.UTC(year, 0, 1);
  const end = Date.UTC(year + 1, 0, 1);
  while (t < end) {
    const next = t + 86_400_000;
    if (zone.offset(t) !== zone.offset(next)) {
      let lo = t;
      let hi = next;
      while (hi - lo > 60_000) {
        const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
        if (zone.offset(mid) === zone.offset(lo)) lo = mid;
        else hi = mid;
      }
      found.push(hi);
    }
    t = next;
  }
  return found;
}

describe('zone offsets cached by the hour', () => {
  // Whole-hour, half-hour and 45-minute offsets; changes at UTC half hours (St John's, Lord Howe), a negative summer
  // time (Dublin), changes that move with Ramadan (Casablanca), a skipped day (Apia 2011) and a 15-minute shift (Kathmandu 1986).
  const zones = ['America/New_York', 'Europe/London', 'Europe/Dublin', 'America/St_Johns', 'Australia/Lord_Howe', 'Pacific/Chatham', 'Africa/Casablanca', 'Pacific/Apia', 'Asia/Kathmandu', 'America/Sao_Paulo', 'Asia/Kolkata'];
  const years = [1986, 2000, 2011, 2019, 2024, 2031];

  it('resolves every local time around every offset change as luxon alone does, gaps and overlaps included', () => {
    let compared = 0;
    let seed = 7;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    for (const name of zones) {
      const zone = IANAZone.create(name);
      for (const year of years) {
        for (const change of changesIn(zone, year)) {
          // Wall-clock readings from three hours before to three hours after the change, every 5 minutes and at random milliseconds.
          const wall = change + zone.offset(change - 1) * 60_000;
          for (let d = -3 * 60; d <= 3 * 60; d += 5) {
            for (const local of [wall + d * 60_000, wall + d * 60_000 + Math.floor(random() * 300_000)]) {
              assert.equal(resolveWallClock(local, zone), resolveUncached(local, zone), `${name} ${new Date(local).toISOString()} (wall clock)`);
              assert.equal(zoneOffsetMinutes(zone, local), zone.offset(local), `${name} offset at ${new Date(local).toISOString()}`);
              compared++;
            }
          }
        }
        // And ordinary times across the year.
        for (let i = 0; i < 50; i++) {
          const local = Date.UTC(year, 0, 1) + Math.floor(random() * 365 * 86_400_000);
          assert.equal(resolveWallClock(local, zone), resolveUncached(local, zone), `${name} ${new Date(local).toISOString()} (wall clock)`);
          compared++;
        }
      }
    }
    assert.ok(compared > 10_000, `only ${compared} readings compared`);
  });

  it("today's date for a birth-date check is the profile zone's date, also just before and after local midnight", () => {
    const kiritimati: SourceProfile = { ...DEFAULT_PROFILE, timeZone: 'Pacific/Kiritimati' };
    const flags: QualityFlag[] = [];
    // 10:30 UTC on 1 March is already 00:30 on 2 March at UTC+14.
    assert.equal(birthDate('20240302', kiritimati, new Date('2024-03-01T10:30:00Z'), 'PID-7', flags), '2024-03-02');
    assert.equal(birthDate('20240302', kiritimati, new Date('2024-03-01T09:30:00Z'), 'PID-7', flags), undefined);
    assert.deepEqual(flags.map((f) => f.code), ['birth-date-in-future']);
  });
});
