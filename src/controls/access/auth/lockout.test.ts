import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLocked, lockDurationMs } from './lockout.ts';

test('four failures do not lock; the fifth locks for a minute, each further one doubles it, up to an hour', () => {
  assert.deepEqual([0, 1, 4].map(lockDurationMs), [0, 0, 0]);
  const minutes = [5, 6, 7, 8, 9, 10, 11, 12, 50, 10_000].map((n) => lockDurationMs(n) / 60_000);
  assert.deepEqual(minutes, [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]);
});

test('a lock holds until its time and not a moment after', () => {
  const now = new Date('2026-03-01T10:00:00Z');
  assert.equal(isLocked(new Date('2026-03-01T10:00:01Z'), now), true);
  assert.equal(isLocked(new Date('2026-03-01T10:00:00Z'), now), false);
  assert.equal(isLocked(null, now), false);
});
