import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { CANARY_PATIENT } from './support/canaries.ts';
import { writeEvents } from './support/audit-fixtures.ts';
import { createTestDatabase, tempDir, type TestDatabase } from './support/test-db.ts';

/**
 * `vigil audit export | verify | public-key` as an operator and an outside auditor run them: the auditor gets a file
 * and a key file, and needs nothing else. Output is also written to test-output/logs for the canary scan.
 */
const BIN = resolve('bin/vigil.mjs');
const LOGS = resolve(process.env.VIGIL_TEST_OUTPUT ?? 'test-output', 'logs');
let db: TestDatabase;
let env: Record<string, string>;
const dir = tempDir('vigil-audit-cli-');

function vigil(args: string[]) {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('VIGIL_') && k !== 'DATABASE_URL') base[k] = v;
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...base, LOG_LEVEL: 'silent', ...env }, encoding: 'utf8', timeout: 120_000 });
  mkdirSync(LOGS, { recursive: true });
  writeFileSync(join(LOGS, `audit-cli-${args.slice(0, 2).join('-')}.log`), `${r.stdout}\n${r.stderr}`, { flag: 'a' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(async () => {
  db = await createTestDatabase();
  env = { VIGIL_ENV: 'test', VIGIL_DATA_DIR: db.dataDir, VIGIL_AUDIT_CHECKPOINT_EVENTS: '5', ...(db.databaseUrl ? { DATABASE_URL: db.databaseUrl } : {}) };
  const store = await db.open();
  try {
    // Written, not sealed: the export's own seal pass must pick them up.
    await writeEvents(store, 12);
  } finally {
    await store.close();
  }
});
after(async () => {
  await db?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

test('public-key prints every audit key as PEM after a key_id comment; keys public still prints JSON', () => {
  const r = vigil(['audit', 'public-key']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^# key_id ed25519-[0-9a-f]{16} created \d{4}-\d{2}-\d{2}T[\d:.]+Z retired no \(active\)\n-----BEGIN PUBLIC KEY-----\n[\s\S]+-----END PUBLIC KEY-----\n$/);
  writeFileSync(join(dir, 'audit-keys.pem'), r.stdout);
  const legacy = vigil(['keys', 'public']);
  assert.equal(legacy.code, 0, legacy.stderr);
  const keys = JSON.parse(legacy.stdout) as { keyId: string }[];
  assert.equal(keys.length, 1);
  assert.ok(r.stdout.includes(keys[0]!.keyId));
});

test('export seals fresh events first, and the file verifies offline with the saved key file (exit 0)', () => {
  const file = join(dir, 'export.ndjson');
  const r = vigil(['audit', 'export', '--out', file]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^vigil: exported 12 audit event\(s\) \(seq 0–11\) and \d+ checkpoint\(s\) to .*export\.ndjson, signed by ed25519-[0-9a-f]{16}\.\n$/);
  const v = vigil(['audit', 'verify', file, '--public-key', join(dir, 'audit-keys.pem')]);
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stdout, /verifies: 12 event\(s\) \(seq 0–11\), \d+ checkpoint\(s\), signed by ed25519-/);

  const again = vigil(['audit', 'export', '--out', file]);
  assert.equal(again.code, 2, 'an export never overwrites another');
  assert.match(again.stderr, /exists; give a new file name/);
});

test('a tampered export fails with exit 1 and one line naming the first bad position, without event content', () => {
  const file = join(dir, 'export.ndjson');
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  const at = lines.findIndex((l) => l.includes('"seq":4,'));
  const event = JSON.parse(lines[at]!) as { record: { query: Record<string, unknown> } };
  event.record.query.family = 'Someone-Else';
  lines[at] = JSON.stringify(event);
  const tampered = join(dir, 'tampered.ndjson');
  writeFileSync(tampered, lines.join('\n') + '\n');
  const r = vigil(['audit', 'verify', tampered, '--public-key', join(dir, 'audit-keys.pem')]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, `vigil: ${tampered} does not verify: line ${at + 1}, seq 4: the record does not match its leaf hash: the event was altered\n`);
  assert.ok(!r.stderr.includes(CANARY_PATIENT.family));
});

test('a window export (--from/--to) verifies; bad input is a usage error (exit 2)', async () => {
  const store = await db.open();
  let times: Date[];
  try {
    times = (await store.db.selectFrom('audit.events').select('recorded_at').orderBy('recorded_at').execute()).map((r) => r.recorded_at);
  } finally {
    await store.close();
  }
  const file = join(dir, 'window.ndjson');
  const r = vigil(['audit', 'export', '--out', file, '--from', times[3]!.toISOString(), '--to', times[8]!.toISOString()]);
  assert.equal(r.code, 0, r.stderr);
  const v = vigil(['audit', 'verify', file, '--public-key', join(dir, 'audit-keys.pem')]);
  assert.equal(v.code, 0, v.stderr);

  const cases: [string[], RegExp][] = [
    [['audit', 'verify', file], /needs --public-key PEMFILE/],
    [['audit', 'verify', join(dir, 'nope.ndjson'), '--public-key', join(dir, 'audit-keys.pem')], /cannot read .*nope\.ndjson/],
    [['audit', 'verify', file, '--public-key', file], /holds no Ed25519 public key/],
    [['audit', 'export', '--out', join(dir, 'x.ndjson'), '--from', 'yesterday'], /--from must be an ISO 8601 time/],
    [['audit', 'export'], /needs --out FILE/],
    [['audit', 'shred'], /unknown audit command "shred"/],
    [['audit', 'verify', '--bogus'], /Unknown option '--bogus'/],
  ];
  for (const [args, message] of cases) {
    const u = vigil(args);
    assert.equal(u.code, 2, args.join(' '));
    assert.match(u.stderr, message);
  }
});

test('verify --live checks the database itself (exit 0 on an intact log)', () => {
  const r = vigil(['audit', 'verify', '--live']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^vigil: the audit log verifies: 12 event\(s\) \(seq 0–11\), \d+ checkpoint\(s\), signed by ed25519-/);
  const pinned = vigil(['audit', 'verify', '--live', '--public-key', join(dir, 'audit-keys.pem')]);
  assert.equal(pinned.code, 0, pinned.stderr);
});
