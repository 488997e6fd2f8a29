import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DataDirLockedError } from '../errors.ts';
import { tempDir } from '../../test/support/test-db.ts';
import { acquireDataDirLock } from './data-dir-lock.ts';

test('a second owner of the same data folder is refused with a message that says what to do', () => {
  const dir = tempDir();
  const first = acquireDataDirLock(dir);
  assert.throws(() => acquireDataDirLock(dir), (err: unknown) => {
    assert.ok(err instanceof DataDirLockedError);
    assert.match(err.message, /is in use by another Vigil process \(pid \d+/);
    assert.match(err.message, /give this one its own VIGIL_DATA_DIR/);
    return true;
  });
  first.release();
  assert.equal(existsSync(join(dir, 'vigil.lock')), false);
  acquireDataDirLock(dir).release();
});

test('a lock left by a process that died is taken over', () => {
  const dir = tempDir();
  // pid 2^22 + 1 is above Linux's pid_max default range, so no live process has it.
  writeFileSync(join(dir, 'vigil.lock'), JSON.stringify({ pid: 4_194_305, host: hostname(), since: '2020-01-01T00:00:00Z' }));
  const lock = acquireDataDirLock(dir);
  lock.release();
});

test('a lock held by a process on another host is never taken over', () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'vigil.lock'), JSON.stringify({ pid: 4_194_305, host: 'some-other-host', since: '2020-01-01T00:00:00Z' }));
  assert.throws(() => acquireDataDirLock(dir), /pid 4194305 on some-other-host/);
});
