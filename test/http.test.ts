import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CANARY_PATIENT } from './support/canaries.ts';
import { startTestVigil, type TestVigil } from './support/in-process.ts';

let t: TestVigil;
before(async () => {
  t = await startTestVigil({ demo: true, overrides: { VIGIL_BODY_LIMIT_BYTES: '2048' } });
});
after(async () => {
  await t.close();
});

const json = { 'content-type': 'application/json' };

test('liveness answers ok', async () => {
  const res = await fetch(`${t.url}/health/live`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { status: 'ok' });
});

test('readiness reports the database, the migrations and the workers', async () => {
  const res = await fetch(`${t.url}/health/ready`);
  assert.equal(res.status, 200);
  const body = (await res.json()) as { status: string; engine: string; checks: { database: { status: string }; migrations: { status: string; pending: number }; workers: { active: number; workers: { role: string }[] } } };
  assert.equal(body.status, 'ready');
  assert.equal(body.engine, t.db.engine);
  assert.equal(body.checks.database.status, 'up');
  assert.equal(body.checks.migrations.status, 'current');
  assert.equal(body.checks.migrations.pending, 0);
  assert.equal(body.checks.workers.active, 1);
  assert.equal(body.checks.workers.workers[0]!.role, 'all');
});

test('one row read through the whole stack: the instance', async () => {
  const res = await fetch(`${t.url}/api/v1/instance`);
  assert.equal(res.status, 200);
  const body = (await res.json()) as { name: string; demo: boolean };
  assert.equal(body.name, 'Vigil Demo Hospital');
  assert.equal(body.demo, true);
});

test('every answer carries a request id; a well-formed incoming one is kept, anything else replaced', async () => {
  const own = await fetch(`${t.url}/health/live`);
  assert.match(own.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  const kept = await fetch(`${t.url}/health/live`, { headers: { 'x-request-id': 'lb-7f3a9c21-0001' } });
  assert.equal(kept.headers.get('x-request-id'), 'lb-7f3a9c21-0001');
  const replaced = await fetch(`${t.url}/health/live`, { headers: { 'x-request-id': `${CANARY_PATIENT.family} ${CANARY_PATIENT.mrn}` } });
  assert.match(replaced.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
});

test('an unknown route is a 404 problem document that does not echo the path', async () => {
  const res = await fetch(`${t.url}/patients/${CANARY_PATIENT.mrn}?name=${encodeURIComponent(CANARY_PATIENT.family)}`);
  assert.equal(res.status, 404);
  assert.equal(res.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  const text = await res.text();
  assert.ok(!text.includes(CANARY_PATIENT.mrn) && !text.includes(CANARY_PATIENT.family));
  const body = JSON.parse(text) as Record<string, unknown>;
  assert.equal(body.status, 404);
  assert.equal(body.code, 'not-found');
  assert.equal(body.type, 'urn:vigil:problem:not-found');
  assert.equal(body.requestId, res.headers.get('x-request-id'));
  assert.ok(!('stack' in body));
});

test('malformed JSON is a 400 that gives the position, never the body', async () => {
  const bad = `{\n  "name": "${CANARY_PATIENT.given} ${CANARY_PATIENT.family}",\n  "mrn": ${CANARY_PATIENT.mrn}\n}`;
  const res = await fetch(`${t.url}/health/live`, { method: 'POST', headers: json, body: bad });
  assert.equal(res.status, 400);
  const text = await res.text();
  assert.ok(!text.includes(CANARY_PATIENT.family) && !text.includes(CANARY_PATIENT.mrn), 'the body is not echoed');
  const body = JSON.parse(text) as { code: string; detail: string };
  assert.equal(body.code, 'malformed-json');
  assert.match(body.detail, /line 3, column 10 \(offset 53\)/);
});

test('a body over the configured limit is a 413 problem', async () => {
  const res = await fetch(`${t.url}/health/live`, { method: 'POST', headers: json, body: JSON.stringify({ note: 'x'.repeat(4096) }) });
  assert.equal(res.status, 413);
  const body = (await res.json()) as { code: string; detail: string };
  assert.equal(body.code, 'payload-too-large');
  assert.match(body.detail, /VIGIL_BODY_LIMIT_BYTES/);
});

test('a prototype-poisoning body is refused', async () => {
  const res = await fetch(`${t.url}/health/live`, { method: 'POST', headers: json, body: '{"__proto__": {"admin": true}}' });
  assert.equal(res.status, 400);
  assert.equal(((await res.json()) as { code: string }).code, 'forbidden-json-key');
});

test('errors under /fhir are FHIR OperationOutcomes', async () => {
  const res = await fetch(`${t.url}/fhir/R4/NoSuchResource/${CANARY_PATIENT.mrn}`);
  assert.equal(res.status, 404);
  assert.match(res.headers.get('content-type') ?? '', /^application\/fhir\+json/);
  const text = await res.text();
  assert.ok(!text.includes(CANARY_PATIENT.mrn));
  const body = JSON.parse(text) as { resourceType: string; issue: { severity: string; code: string }[] };
  assert.equal(body.resourceType, 'OperationOutcome');
  assert.equal(body.issue[0]!.code, 'not-found');
  assert.equal(body.issue[0]!.severity, 'error');
  const unauthenticated = await fetch(`${t.url}/fhir/R4/Patient/${CANARY_PATIENT.mrn}`);
  assert.equal(unauthenticated.status, 401);
  const outcome = JSON.parse(await unauthenticated.text()) as { resourceType: string; issue: { code: string }[] };
  assert.equal(outcome.resourceType, 'OperationOutcome');
  assert.equal(outcome.issue[0]!.code, 'login');
});

test('/metrics is Prometheus text whose labels are route patterns, never raw paths', async () => {
  await fetch(`${t.url}/patients/${CANARY_PATIENT.mrn}`);
  const res = await fetch(`${t.url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  assert.match(text, /vigil_http_requests_total\{method="GET",route="\/health\/live",status_code="200"\} \d+/);
  assert.match(text, /vigil_http_requests_total\{method="GET",route="unmatched",status_code="404"\} \d+/);
  assert.match(text, /vigil_database_up\{engine="(pglite|postgres)"\} 1/);
  assert.ok(!text.includes(CANARY_PATIENT.mrn));
});

test('/openapi.json describes the API', async () => {
  const res = await fetch(`${t.url}/openapi.json`);
  assert.equal(res.status, 200);
  const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
  assert.equal(doc.openapi, '3.1.0');
  assert.ok(doc.paths['/health/ready']);
  assert.ok(doc.paths['/api/v1/instance']);
});

test('the web app is served at / with a strict content security policy; API answers are never cached', async () => {
  const res = await fetch(`${t.url}/`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(await res.text(), /<div id="root">/);
  assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  const api = await fetch(`${t.url}/api/v1/instance`);
  assert.equal(api.headers.get('cache-control'), 'no-store');
});

test('request log lines carry only allowlisted fields: the route pattern, never the raw URL or a body', async () => {
  await fetch(`${t.url}/patients/${CANARY_PATIENT.mrn}?dob=${CANARY_PATIENT.birthDate}`);
  await fetch(`${t.url}/health/live`, { method: 'POST', headers: json, body: `{"name": "${CANARY_PATIENT.family}"` });
  const allowed = new Set(['level', 'time', 'pid', 'msg', 'method', 'route', 'status', 'duration_ms', 'request_id', 'component', 'role', 'worker_id', 'engine', 'attempt', 'count', 'version', 'port', 'queue', 'job_id', 'error_code', 'err_name']);
  const lines = t.logLines();
  const requests = lines.filter((l) => l.msg === 'http.request');
  assert.ok(requests.length > 5);
  for (const line of lines) for (const key of Object.keys(line)) assert.ok(allowed.has(key), `unexpected log field ${key}`);
  const all = JSON.stringify(lines);
  assert.ok(!all.includes(CANARY_PATIENT.mrn) && !all.includes(CANARY_PATIENT.family) && !all.includes(CANARY_PATIENT.birthDate));
  assert.ok(requests.some((l) => l.route === 'unmatched' && l.status === 404));
});
