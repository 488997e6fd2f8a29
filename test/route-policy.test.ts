import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UndeclaredRouteError } from '../src/api/route-policy.ts';
import { startTestVigil } from './support/in-process.ts';

test('every registered route declares its policy (an action on a resource, or public with a reason)', async () => {
  const t = await startTestVigil();
  try {
    const routes = t.vigil.app!.routes;
    assert.ok(routes.length >= 8, `only ${routes.length} routes found`);
    for (const r of routes) {
      assert.ok(r.policy, `${r.method} ${r.url} has no policy`);
      if ('public' in r.policy) assert.ok(r.policy.why.length > 10, `${r.method} ${r.url} is public without a reason`);
      else assert.ok(r.policy.action && r.policy.resource, `${r.method} ${r.url} declares an empty action or resource`);
    }
    const urls = new Set(routes.map((r) => `${r.method} ${r.url}`));
    for (const required of ['GET /health/live', 'GET /health/ready', 'GET /metrics', 'GET /openapi.json', 'GET /']) assert.ok(urls.has(required), required);
  } finally {
    await t.close();
  }
});

test('a route registered without a policy stops the server from building', async () => {
  await assert.rejects(
    startTestVigil({ extendApp: (app) => void app.get('/api/v1/undeclared', async () => ({ leak: true })) }),
    (err: unknown) => err instanceof UndeclaredRouteError && /GET \/api\/v1\/undeclared declares no policy/.test(err.message),
  );
});
