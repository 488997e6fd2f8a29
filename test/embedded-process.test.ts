import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { openStore } from '../src/store/store.ts';
import { createTestDatabase } from './support/test-db.ts';
import { runVigil, waitForStatus } from './support/vigil-process.ts';

// These tests are about the embedded database, so the child processes never get DATABASE_URL.
const EMBEDDED = { DATABASE_URL: undefined, LOG_LEVEL: 'info', VIGIL_ENV: 'test', PORT: '0', MLLP_PORT: '0', HOST: '127.0.0.1' };

test('a second process on the same embedded data folder refuses to start and the first keeps serving', async () => {
  const db = await createTestDatabase();
  const env = { ...EMBEDDED, VIGIL_DATA_DIR: db.dataDir, DATABASE_URL: undefined };
  const first = runVigil('embedded-first-owner', ['start'], env);
  try {
    const url = await first.url;
    await waitForStatus(`${url}/health/ready`, 200);
    const second = runVigil('embedded-second-owner', ['start'], env);
    const { code } = await second.exited;
    assert.equal(code, 1);
    assert.match(second.output(), /is in use by another Vigil process \(pid \d+/);
    assert.doesNotMatch(second.output(), /\n\s+at /, 'no stack trace');
    await waitForStatus(`${url}/health/ready`, 200);
  } finally {
    assert.equal((await first.stop()).code, 0);
    await db.dispose();
  }
});

test('rows committed on the embedded store survive SIGKILL right after the commit', async () => {
  const db = await createTestDatabase();
  const child = spawn(process.execPath, ['--import', 'tsx', resolve('test/fixtures/commit-and-hang.ts'), db.dataDir, '5'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ids = await new Promise<string[]>((done, fail) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /committed (\S+)\n/.exec(out);
      if (m) done(m[1]!.split(','));
    });
    child.on('close', (code) => fail(new Error(`fixture exited early with ${code}`)));
    setTimeout(() => fail(new Error('fixture did not commit in time')), 60_000).unref();
  });
  child.kill('SIGKILL');
  await new Promise((done) => child.once('close', done));
  // The dead process left its lock behind; the next owner takes it over.
  const store = await openStore({ dataDir: db.dataDir });
  try {
    const rows = await store.db.selectFrom('jobs').select('id').where('id', 'in', ids).execute();
    assert.equal(rows.length, ids.length, 'every committed row is there after the kill');
  } finally {
    await store.close();
    await db.dispose();
  }
});

test('SIGTERM stops the server cleanly: exit 0, lock released, and it starts again on the same folder', async () => {
  const db = await createTestDatabase();
  const env = { ...EMBEDDED, VIGIL_DATA_DIR: db.dataDir, DATABASE_URL: undefined };
  try {
    const first = runVigil('embedded-sigterm', ['start', '--demo'], env);
    await waitForStatus(`${await first.url}/health/ready`, 200);
    const stopped = await first.stop('SIGTERM');
    assert.equal(stopped.code, 0);
    assert.match(first.output(), /"msg":"shutdown.finished"/);
    const again = runVigil('embedded-sigterm-restart', ['start'], env);
    const res = await waitForStatus(`${await again.url}/api/v1/instance`, 200);
    assert.equal(((await res.json()) as { demo: boolean }).demo, true, 'the demo instance row from the first run is still there');
    assert.equal((await again.stop()).code, 0);
  } finally {
    await db.dispose();
  }
});

test('after stop() nothing keeps the process alive: it exits by itself, well before the grace period', async () => {
  const db = await createTestDatabase();
  const child = spawn(process.execPath, ['--import', 'tsx', resolve('test/fixtures/start-stop.ts'), db.dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  // The fixture's grace period is 60 s; a leftover timer or socket would hold the process that long.
  const exited = await new Promise<number | null | 'still running'>((done) => {
    const timer = setTimeout(() => done('still running'), 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      done(code);
    });
  });
  if (exited === 'still running') child.kill('SIGKILL');
  await db.dispose();
  assert.match(out, /stopped/);
  assert.equal(exited, 0);
});
