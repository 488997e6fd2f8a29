import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { createTestDatabase, tempDir, type TestDatabase } from './support/test-db.ts';

const BIN = resolve('bin/vigil.mjs');

function vigil(args: string[], env: Record<string, string> = {}) {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('VIGIL_') && k !== 'DATABASE_URL' && k !== 'PORT') base[k] = v;
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...base, LOG_LEVEL: 'silent', ...env }, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
});
after(async () => {
  await db.dispose();
});

test('a bad setting stops start-up with one line naming it, exit code 2, no stack trace', () => {
  const r = vigil(['start'], { PORT: 'abc', VIGIL_DATA_DIR: tempDir() });
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim(), 'vigil: PORT must be an integer from 0 to 65535 (got "abc").');
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('production refuses demo data and the embedded database before touching anything', () => {
  const demo = vigil(['start', '--demo'], { VIGIL_ENV: 'production', DATABASE_URL: 'postgres://127.0.0.1:1/none', VIGIL_KEK: Buffer.alloc(32).toString('base64') });
  assert.equal(demo.code, 2);
  assert.match(demo.stderr, /VIGIL_ENV=production refuses demo data/);
  const embedded = vigil(['start'], { VIGIL_ENV: 'production' });
  assert.equal(embedded.code, 2);
  assert.match(embedded.stderr, /VIGIL_ENV=production needs DATABASE_URL/);
  const noKey = vigil(['start'], { VIGIL_ENV: 'production', DATABASE_URL: 'postgres://127.0.0.1:1/none' });
  assert.equal(noKey.code, 2);
  assert.match(noKey.stderr, /needs key material/);
});

test('an unknown command or role is a usage error with exit code 2', () => {
  const unknown = vigil(['launch']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command "launch"/);
  const role = vigil(['start', '--role', 'both'], { VIGIL_DATA_DIR: tempDir() });
  assert.equal(role.code, 2);
  assert.match(role.stderr, /--role must be all, api or worker/);
  const split = vigil(['start', '--role', 'worker'], { VIGIL_DATA_DIR: tempDir() });
  assert.equal(split.code, 2);
  assert.match(split.stderr, /needs a shared PostgreSQL server/);
});

test('config check prints the effective config with secrets redacted', () => {
  const key = Buffer.alloc(32, 3).toString('base64');
  const r = vigil(['config', 'check'], { DATABASE_URL: 'postgres://vigil:pa55word@127.0.0.1:5432/vigil', VIGIL_KEK: key, PORT: '8123' });
  assert.equal(r.code, 0, r.stderr);
  const shown = JSON.parse(r.stdout) as Record<string, string>;
  assert.equal(shown.PORT, '8123');
  assert.equal(shown.DATABASE_URL, 'postgres://vigil:*****@127.0.0.1:5432/vigil');
  assert.equal(shown.VIGIL_KEK, '*****');
  assert.doesNotMatch(r.stdout, /pa55word/);
  assert.ok(!r.stdout.includes(key));
});

test('vigil migrate applies migrations once and reports them current afterwards', () => {
  const fresh: Record<string, string> = db.databaseUrl ? { DATABASE_URL: db.databaseUrl } : { VIGIL_DATA_DIR: tempDir() };
  const first = vigil(['migrate'], fresh);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, db.databaseUrl ? /migrations are current/ : /applied 1_spine/);
  const second = vigil(['migrate'], fresh);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /migrations are current/);
  const status = vigil(['migrate', '--status'], fresh);
  const parsed = JSON.parse(status.stdout) as { pending: number[]; current: boolean; applied: number[] };
  assert.deepEqual(parsed.pending, []);
  assert.equal(parsed.current, true);
  assert.ok(parsed.applied.includes(1));
});

test('help lists the commands', () => {
  const r = vigil(['--help']);
  assert.equal(r.code, 0);
  for (const word of ['vigil start', 'vigil migrate', 'vigil config check', '--role all|api|worker']) assert.ok(r.stdout.includes(word), word);
});

test('vigil keys: publish the signing public key, then rotate the KEK and the signing key', async () => {
  const { randomBytes } = await import('node:crypto');
  const { writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const dir = tempDir();
  const k1 = randomBytes(32).toString('base64');
  const k2 = randomBytes(32).toString('base64');
  const kekFile = join(dir, 'kek.json');
  writeFileSync(kekFile, JSON.stringify({ active: 'k1', keys: { k1 } }));
  const where: Record<string, string> = db.databaseUrl ? { DATABASE_URL: db.databaseUrl } : { VIGIL_DATA_DIR: join(dir, 'data') };
  const env = { ...where, VIGIL_KEK_FILE: kekFile };
  const published = vigil(['keys', 'public'], env);
  assert.equal(published.code, 0, published.stderr);
  const keys = JSON.parse(published.stdout) as { keyId: string; publicKeyPem: string; retiredAt: string | null }[];
  assert.equal(keys.filter((k) => k.retiredAt === null).length, 1);
  assert.match(keys[0]!.publicKeyPem, /BEGIN PUBLIC KEY/);

  writeFileSync(kekFile, JSON.stringify({ active: 'k2', keys: { k1, k2 } }));
  const rotated = vigil(['keys', 'rotate', '--signing'], env);
  assert.equal(rotated.code, 0, rotated.stderr);
  assert.match(rotated.stdout, /re-wrapped \d+ patient data key\(s\) and \d+ signing key\(s\) under k2/);
  assert.match(rotated.stdout, /new audit signing key ed25519-[0-9a-f]{16}; earlier public keys are kept/);
  assert.ok(!rotated.stdout.includes(k1) && !rotated.stdout.includes(k2), 'key material is never printed');

  // k1 can go now: everything is wrapped by k2.
  writeFileSync(kekFile, JSON.stringify({ active: 'k2', keys: { k2 } }));
  const after = vigil(['keys', 'public'], env);
  assert.equal(after.code, 0, after.stderr);
  const afterKeys = JSON.parse(after.stdout) as { keyId: string; retiredAt: string | null }[];
  assert.ok(afterKeys.some((k) => k.keyId === keys[0]!.keyId && k.retiredAt !== null), 'the old public key is still published');

  const broken = vigil(['start'], { ...where, VIGIL_KEK_FILE: join(dir, 'missing.json') });
  assert.equal(broken.code, 2);
  assert.match(broken.stderr, /VIGIL_KEK_FILE: cannot read/);
});
