import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { CANARY_PATIENT } from './support/canaries.ts';
import { tempDir } from './support/test-db.ts';

test('the canary scan fails a run whose test prints a canary, naming the test, and masks the value', () => {
  const out = tempDir('vigil-canary-');
  const r = spawnSync(process.execPath, ['scripts/run-tests.mjs', '--no-build', '--files', 'test/fixtures/canary-leak.fixture.ts'], {
    env: { ...process.env, VIGIL_TEST_OUTPUT: out },
    encoding: 'utf8',
    timeout: 120_000,
  });
  const all = r.stdout + r.stderr;
  assert.equal(r.status, 1, 'the run fails');
  assert.match(r.stderr, /CANARY LEAK/);
  assert.match(r.stderr, /test\/fixtures\/canary-leak\.fixture\.ts › logs a patient name on purpose: canary patient 1 (given|family) on stdout/);
  assert.match(r.stderr, /log file leaky-child\.log: canary mrn/);
  assert.doesNotMatch(r.stderr, /stays quiet/, 'a test that leaked nothing is not blamed');
  assert.match(r.stdout, /tests: 3 passed, 1 failed/);
  for (const value of [CANARY_PATIENT.family, CANARY_PATIENT.given]) assert.ok(!all.includes(value), 'the leaked value itself is masked in the output');
});
