import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTestDatabase } from './support/test-db.ts';
import { runVigil, waitForStatus } from './support/vigil-process.ts';

interface Ready {
  role: string;
  checks: { workers: { active: number; workers: { role: string; pid: number }[] } };
}

test('api and worker roles run as separate processes, any number of each, on one PostgreSQL server', async () => {
  const db = await createTestDatabase();
  const env = { DATABASE_URL: db.databaseUrl!, VIGIL_ENV: 'test', HOST: '127.0.0.1', PORT: '0', MLLP_PORT: '0', LOG_LEVEL: 'info', VIGIL_WORKER_HEARTBEAT_MS: '200' };
  const apis = [runVigil('roles-api-1', ['start', '--role', 'api'], env), runVigil('roles-api-2', ['start', '--role', 'api'], env)];
  const workers = [runVigil('roles-worker-1', ['start', '--role', 'worker'], env), runVigil('roles-worker-2', ['start', '--role', 'worker'], env)];
  try {
    const urls = await Promise.all(apis.map((a) => a.url));
    for (const url of urls) {
      const deadline = Date.now() + 30_000;
      let body: Ready | undefined;
      while (Date.now() < deadline) {
        body = (await (await waitForStatus(`${url}/health/ready`, 200)).json()) as Ready;
        if (body.checks.workers.active === 2) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal(body?.role, 'api');
      assert.equal(body?.checks.workers.active, 2, 'both workers are seen from each API process');
      assert.deepEqual(body?.checks.workers.workers.map((w) => w.role), ['worker', 'worker']);
      assert.equal((await fetch(`${url}/api/v1/instance`)).status, 200);
    }
    assert.equal((await workers[0]!.stop()).code, 0);
    const deadline = Date.now() + 15_000;
    let active = 2;
    while (Date.now() < deadline && active !== 1) {
      active = ((await (await fetch(`${urls[0]}/health/ready`)).json()) as Ready).checks.workers.active;
    }
    assert.equal(active, 1, 'a stopped worker leaves the list');
  } finally {
    for (const p of [...apis, ...workers]) assert.equal((await p.stop()).code, 0);
    await db.dispose();
  }
});
