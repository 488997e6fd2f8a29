import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPgCluster } from './support/pg-cluster.ts';
import { tempDir } from './support/test-db.ts';
import { runVigil, waitForStatus } from './support/vigil-process.ts';

interface Ready {
  status: string;
  checks: { database: { status: string } };
}

test('a server started before its database waits, becomes ready when the database comes, and follows it down and up', async () => {
  const cluster = await createPgCluster();
  const vigil = runVigil('database-down', ['start'], {
    DATABASE_URL: cluster.url,
    VIGIL_DATA_DIR: tempDir(),
    VIGIL_ENV: 'test',
    PORT: '0',
    MLLP_PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    VIGIL_DB_RETRY_MAX_MS: '300',
    VIGIL_WORKER_HEARTBEAT_MS: '200',
  });
  try {
    const url = await vigil.url;
    const live = await waitForStatus(`${url}/health/live`, 200);
    assert.deepEqual(await live.json(), { status: 'ok' });
    const down = await waitForStatus(`${url}/health/ready`, 503);
    const body = (await down.json()) as Ready;
    assert.equal(body.status, 'not-ready');
    assert.equal(body.checks.database.status, 'down');
    const instance = await fetch(`${url}/api/v1/instance`);
    assert.equal(instance.status, 503, 'data routes say the database is not ready, not a stack trace');
    assert.match(vigil.output(), /"msg":"database.unavailable"/);
    assert.match(vigil.output(), /"error_code":"ECONNREFUSED"/);

    cluster.start();
    const up = (await (await waitForStatus(`${url}/health/ready`, 200, 30_000)).json()) as Ready;
    assert.equal(up.checks.database.status, 'up');
    assert.equal((await fetch(`${url}/api/v1/instance`)).status, 200);

    cluster.stop();
    const again = (await (await waitForStatus(`${url}/health/ready`, 503, 30_000)).json()) as Ready;
    assert.equal(again.checks.database.status, 'down');

    cluster.start();
    await waitForStatus(`${url}/health/ready`, 200, 30_000);
    assert.equal((await fetch(`${url}/api/v1/instance`)).status, 200, 'the pool reconnects by itself');
    assert.equal((await vigil.stop()).code, 0);
  } finally {
    await vigil.stop();
    cluster.destroy();
  }
});
