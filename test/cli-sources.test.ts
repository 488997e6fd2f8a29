import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { startVigil } from '../src/runtime/start.ts';
import { createTestDatabase, tempDir, testConfig } from './support/test-db.ts';

/** `vigil sources …` as an integration operator uses it: before start, and against a running Vigil. */
const BIN = resolve('bin/vigil.mjs');

function vigil(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('VIGIL_') && k !== 'DATABASE_URL' && k !== 'PORT') base[k] = v;
  // Asynchronous on purpose: a running Vigil in this process must keep answering its control socket meanwhile.
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...base, LOG_LEVEL: 'silent', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

test('sources are registered before start and while Vigil runs, audited, and refused when they would collide', { timeout: 120_000 }, async () => {
  const db = await createTestDatabase();
  try {
    const env: Record<string, string> = { VIGIL_DATA_DIR: db.dataDir, ...(db.databaseUrl ? { DATABASE_URL: db.databaseUrl } : {}) };
    const profile = join(tempDir(), 'north-adt.json');
    writeFileSync(profile, JSON.stringify({ timeZone: 'America/New_York', cadence: { everyMinutes: 15, activeFrom: '06:00', activeTo: '22:00' } }));

    const usage = await vigil(['sources', 'add', '--name', 'north-adt'], env);
    assert.equal(usage.code, 2, usage.stderr);
    assert.match(usage.stderr, /needs --msh3 and --msh4/);

    const added = await vigil(['sources', 'add', '--name', 'north-adt', '--msh3', 'NORTHADT', '--msh4', 'NORTH', '--profile', profile], env);
    assert.equal(added.code, 0, added.stderr);
    assert.equal(JSON.parse(added.stdout).profileVersion, 1);

    const badProfile = join(tempDir(), 'bad.json');
    writeFileSync(badProfile, JSON.stringify({ timeZone: 'Mars/Olympus' }));
    const refused = await vigil(['sources', 'profile', '--name', 'north-adt', '--profile', badProfile], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /timeZone/);

    const running = await startVigil({ config: testConfig(db), role: 'all', demo: false });
    try {
      await running.ready;
      const live = await vigil(['sources', 'add', '--name', 'north-lab', '--msh3', 'NORTHLAB', '--msh4', 'NORTH', '--peer', '127.0.0.1'], env);
      assert.equal(live.code, 0, live.stderr);
      const clash = await vigil(['sources', 'add', '--name', 'north-lab-2', '--msh3', 'NORTHLAB', '--msh4', 'NORTH'], env);
      assert.equal(clash.code, 1);
      assert.match(clash.stderr, /MSH-3 and MSH-4/);
      const list = await vigil(['sources', 'list'], env);
      assert.equal(list.code, 0, list.stderr);
      assert.deepEqual((JSON.parse(list.stdout) as { name: string }[]).map((s) => s.name), ['north-adt', 'north-lab']);
      const audited = await running.store.db.selectFrom('audit.events').select('action').where('action', 'like', 'gateway.source.%').execute();
      assert.equal(audited.length, 2);
    } finally {
      await running.stop();
    }
  } finally {
    await db.dispose();
  }
});
