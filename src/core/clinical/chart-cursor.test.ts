import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeCursor, encodeCursor, InvalidCursorError } from './chart-cursor.ts';

const PATIENT = '01890000-0000-7000-8000-000000000001';
const OTHER = '01890000-0000-7000-8000-000000000002';
const at = { rank: 3, at: '2024-03-01 14:00:00.123456+00', id: '01890000-0000-7000-8000-0000000000aa' };

test('a cursor comes back as the position it was made from, for its own patient and list only', () => {
  const cursor = encodeCursor(PATIENT, 'chart:results', at);
  assert.match(cursor, /^[A-Za-z0-9_-]+$/, 'safe in a URL as it is');
  assert.deepEqual(decodeCursor(PATIENT, 'chart:results', cursor), at);
  assert.throws(() => decodeCursor(OTHER, 'chart:results', cursor), InvalidCursorError);
  assert.throws(() => decodeCursor(PATIENT, 'chart:medications', cursor), InvalidCursorError);
});

test('an altered, truncated or hand-made cursor is refused, and the refusal echoes nothing of it', () => {
  const cursor = encodeCursor(PATIENT, 'everything', at);
  const flip = (i: number) => `${cursor.slice(0, i)}${cursor[i] === 'A' ? 'B' : 'A'}${cursor.slice(i + 1)}`;
  for (const bad of [flip(5), flip(cursor.length - 3), cursor.slice(0, -4), '', 'not a cursor', Buffer.from('[0,"2024-01-01 00:00:00+00","x","y"]').toString('base64url'), 'A'.repeat(500)]) {
    assert.throws(() => decodeCursor(PATIENT, 'everything', bad), (err: unknown) => err instanceof InvalidCursorError && err.status === 400 && !err.message.includes(bad || '\u0000'));
  }
});

test('a forged cursor with a valid checksum still cannot carry a date that does not exist', () => {
  for (const time of ['2024-02-30 10:00:00+00', '2024-13-01 10:00:00+00', '2024-01-01 25:00:00+00']) {
    assert.throws(() => decodeCursor(PATIENT, 'everything', encodeCursor(PATIENT, 'everything', { ...at, at: time })), InvalidCursorError, time);
  }
  for (const time of ['-infinity', 'infinity', '2024-02-29 23:59:59+05:30']) assert.equal(decodeCursor(PATIENT, 'everything', encodeCursor(PATIENT, 'everything', { ...at, at: time })).at, time);
});
