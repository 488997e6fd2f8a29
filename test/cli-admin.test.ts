import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { generate } from 'otplib';
import { startVigil } from '../src/runtime/start.ts';
import { createTestDatabase, tempDir, testConfig } from './support/test-db.ts';

const BIN = resolve('bin/vigil.mjs');

function vigil(args: string[], env: Record<string, string>) {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('VIGIL_') && k !== 'DATABASE_URL' && k !== 'PORT') base[k] = v;
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...base, LOG_LEVEL: 'silent', ...env }, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('`vigil admin create` makes the first security admin of a new installation, who can then sign in with the second factor', async () => {
  const db = await createTestDatabase();
  try {
    const env: Record<string, string> = { VIGIL_DATA_DIR: db.dataDir, ...(db.databaseUrl ? { DATABASE_URL: db.databaseUrl } : {}) };
    const out = join(tempDir(), 'first-admin.json');
    const noOrg = vigil(['admin', 'create', '--username', 'first.admin', '--display-name', 'First Admin', '--out', out], env);
    assert.equal(noOrg.code, 2, noOrg.stderr);
    assert.match(noOrg.stderr, /give --organization/);

    const made = vigil(['admin', 'create', '--username', 'first.admin', '--display-name', 'First Admin', '--organization', 'Example Health', '--out', out], env);
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stdout, /created security admin first\.admin/);
    assert.equal(statSync(out).mode & 0o777, 0o600);
    const creds = JSON.parse(readFileSync(out, 'utf8')) as { username: string; password: string; totpSecret: string };
    assert.ok(!made.stdout.includes(creds.password) && !made.stderr.includes(creds.password), 'the password is never printed');

    const again = vigil(['admin', 'create', '--username', 'first.admin', '--display-name', 'First Admin', '--out', out], env);
    assert.equal(again.code, 2, 'an existing file is never overwritten');

    const running = await startVigil({ config: testConfig(db), role: 'all', demo: false });
    try {
      await running.ready;
      const url = running.url!.replace('localhost', '127.0.0.1');
      const login = (body: unknown) => fetch(`${url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const first = await login({ username: creds.username, password: creds.password });
      assert.equal(first.status, 401);
      assert.equal(((await first.json()) as { error: string }).error, 'mfa_required');
      const second = await login({ username: creds.username, password: creds.password, totp: await generate({ secret: creds.totpSecret }) });
      assert.equal(second.status, 200);
      const { access_token } = (await second.json()) as { access_token: string };
      const people = await fetch(`${url}/api/admin/people`, { headers: { authorization: `Bearer ${access_token}` } });
      assert.equal(people.status, 200);
      await people.arrayBuffer();
      const created = await running.store.db.selectFrom('audit.events').select(['action', 'actor_type', 'actor_id']).where('action', '=', 'directory.person.create').execute();
      assert.deepEqual(created.map((e) => [e.actor_type, e.actor_id]), [['system', 'vigil-cli']]);
    } finally {
      await running.stop();
    }
  } finally {
    await db.dispose();
  }
});
