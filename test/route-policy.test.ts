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

test('every declared action is one the access policy defines, and every non-public route refuses a caller without a credential', async () => {
  const t = await startTestVigil();
  try {
    const { isAction } = await import('../src/controls/access/policy.ts');
    const routes = t.vigil.app!.routes.filter((r) => r.method !== 'HEAD');
    const refusedToAnonymous: string[] = [];
    for (const r of routes) {
      if (!r.policy || 'public' in r.policy) continue;
      assert.ok(isAction(r.policy.action), `${r.method} ${r.url} declares "${r.policy.action}", which the policy does not define`);
      const path = r.url.replace(/:[A-Za-z]+/g, '01890000-0000-7000-8000-000000000001');
      const res = await fetch(`${t.url}${path}`, { method: r.method, ...(r.method === 'GET' || r.method === 'DELETE' ? {} : { headers: { 'content-type': 'application/json' }, body: '{}' }) });
      await res.arrayBuffer();
      if (res.status !== 401) refusedToAnonymous.push(`${r.method} ${r.url} answered ${res.status}`);
    }
    assert.deepEqual(refusedToAnonymous, []);
  } finally {
    await t.close();
  }
});
