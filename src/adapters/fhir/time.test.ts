import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { QualityFlag } from '../../model/quality.ts';
import { context } from './test-helpers.ts';
import { fhirTime } from './time.ts';

function read(value: unknown, timeZone = 'America/New_York'): [ReturnType<typeof fhirTime>, string[]] {
  const flags: QualityFlag[] = [];
  const time = fhirTime(value, context({ timeZone }), 'X.at', flags);
  return [time, flags.map((f) => f.code)];
}

describe('FHIR date, dateTime and instant', () => {
  it('a stated offset or Z is the zone; precision follows the digits sent', () => {
    assert.deepEqual(read('2024-03-10T01:30:00.1234+05:30'), [{ instant: '2024-03-09T20:00:00.123Z', zoneFrom: 'stated', zone: '+0530', precision: 'fraction' }, []]);
    assert.deepEqual(read('2024-03-10T06:00:00Z'), [{ instant: '2024-03-10T06:00:00.000Z', zoneFrom: 'stated', zone: '+0000', precision: 'second' }, []]);
  });

  it('a date, a year-month or a year is read in the profile zone, not flagged', () => {
    assert.deepEqual(read('2024-07-04'), [{ instant: '2024-07-04T04:00:00.000Z', zoneFrom: 'profile', zone: 'America/New_York', precision: 'day' }, []]);
    assert.equal(read('2024-07')[0]?.precision, 'month');
    assert.equal(read('2024')[0]?.instant, '2024-01-01T05:00:00.000Z');
  });

  it('a time without offset breaks FHIR: read in the profile zone with the HL7 DST rules, flagged', () => {
    // 02:30 on 10 March 2024 does not exist in New York; like the HL7 mapper it reads as 03:30 EDT.
    assert.deepEqual(read('2024-03-10T02:30:00'), [{ instant: '2024-03-10T07:30:00.000Z', zoneFrom: 'profile', zone: 'America/New_York', precision: 'second' }, ['timestamp-zone-assumed']]);
    assert.equal(read('2024-03-10T14:30')[0]?.precision, 'minute');
  });

  it('anything else is flagged unparseable and dropped', () => {
    for (const value of ['2024-02-30', '2024-1-5', '20240105', '2024-01-05T25:00:00Z', '2024-01-05T10:00:00+15:00', 'today', 20240105, {}]) {
      assert.deepEqual(read(value), [undefined, ['timestamp-unparseable']], String(value));
    }
    assert.deepEqual(read(undefined), [undefined, []]);
  });
});
