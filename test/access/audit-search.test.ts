import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { buildAccessFixture, signIn, type AccessFixture } from '../support/access-fixture.ts';
import { startTestVigil, type TestVigil } from '../support/in-process.ts';

/**
 * "Who viewed this chart, when, and why?" answered by the privacy officer in one query, without engineering help;
 * and the trail watches its own readers.
 */
let vigil: TestVigil;
let fixture: AccessFixture;
const token = new Map<string, string>();

before(async () => {
  vigil = await startTestVigil();
  fixture = await buildAccessFixture(vigil.vigil.store, vigil.vigil.config, ['nurse', 'physician', 'privacy-officer', 'security-admin']);
  for (const role of fixture.people.keys()) token.set(role, await signIn(vigil.url, fixture.people.get(role)!));
  // Some history: the nurse and the physician read the own-team patient; the nurse is refused another.
  for (const role of ['nurse', 'physician', 'nurse']) await (await get(role, `/fhir/R4/Patient/${fixture.patients['own-team'].id}`)).arrayBuffer();
  await (await get('nurse', `/fhir/R4/Patient/${fixture.patients['other-team'].id}`)).arrayBuffer();
});
after(() => vigil?.close());

function get(role: string, path: string) {
  return fetch(`${vigil.url}${path}`, { headers: { authorization: `Bearer ${token.get(role)}` } });
}

interface Page {
  events: { id: string; action: string; actor_id: string; outcome: string; patient_id: string | null; recorded_at: string }[];
  nextCursor: string | null;
}

test('only the privacy officer may search the trail; a clinician or security admin is refused and the refusal is recorded', async () => {
  for (const role of ['nurse', 'security-admin']) {
    const res = await get(role, '/api/audit');
    assert.equal(res.status, 403, role);
    await res.arrayBuffer();
  }
  const refused = await vigil.vigil.store.db.selectFrom('audit.events').select('id').where('actor_id', '=', fixture.people.get('nurse')!.id).where('action', '=', 'audit.read').where('outcome', '=', 'denied').execute();
  assert.equal(refused.length, 1);
});

test('search by patient, actor, action and outcome, newest first, paged by cursor without repeats', async () => {
  const patient = fixture.patients['own-team'].id;
  const nurse = fixture.people.get('nurse')!;
  const res = await get('privacy-officer', `/api/audit?patient=${patient}&action=patient.read`);
  assert.equal(res.status, 200);
  const page = (await res.json()) as Page;
  assert.equal(page.events.length, 3);
  assert.ok(page.events.every((e) => e.patient_id === patient && e.action === 'patient.read'));
  const times = page.events.map((e) => e.recorded_at);
  assert.deepEqual(times, [...times].sort().reverse());

  const byActor = (await (await get('privacy-officer', `/api/audit?actor=${nurse.username}&patient=${patient}&action=patient.read`)).json()) as Page;
  assert.equal(byActor.events.length, 2);
  const denied = (await (await get('privacy-officer', `/api/audit?actor=${nurse.id}&outcome=denied&action=patient.*`)).json()) as Page;
  assert.equal(denied.events.length, 1);
  assert.equal(denied.events[0]!.patient_id, fixture.patients['other-team'].id);

  const seen = new Set<string>();
  let cursor: string | null = null;
  let pages = 0;
  do {
    const p = (await (await get('privacy-officer', `/api/audit?limit=2${cursor ? `&cursor=${cursor}` : ''}`)).json()) as Page;
    for (const e of p.events) {
      assert.ok(!seen.has(e.id), 'no event twice across pages');
      seen.add(e.id);
    }
    cursor = p.nextCursor;
    pages++;
  } while (cursor && pages < 100);
  assert.ok(seen.size >= 6);
  const bad = await get('privacy-officer', '/api/audit?cursor=bm90LWEtY3Vyc29y');
  assert.equal(bad.status, 400);
  await bad.arrayBuffer();
});

test('the patient access report lists who saw the record, with counts, and not the auditors', async () => {
  const patient = fixture.patients['own-team'].id;
  const res = await get('privacy-officer', `/api/audit/patients/${patient}/access-report`);
  assert.equal(res.status, 200);
  const report = (await res.json()) as { accessors: { actorId: string; actions: Record<string, number>; accesses: number }[] };
  const byId = new Map(report.accessors.map((a) => [a.actorId, a]));
  assert.equal(byId.get(fixture.people.get('nurse')!.id)?.actions['patient.read'], 2);
  assert.equal(byId.get(fixture.people.get('physician')!.id)?.actions['patient.read'], 1);
  assert.ok(!byId.has(fixture.people.get('privacy-officer')!.id), 'reading the trail is not reading the chart');
});

test('reading the trail is itself on the trail', async () => {
  const officer = fixture.people.get('privacy-officer')!;
  await (await get('privacy-officer', '/api/audit?limit=1')).arrayBuffer();
  const own = await vigil.vigil.store.db.selectFrom('audit.events').select(['action']).where('actor_id', '=', officer.id).where('action', 'like', 'audit.%').execute();
  assert.ok(own.some((e) => e.action === 'audit.search'));
  assert.ok(own.some((e) => e.action === 'audit.access-report'));
});

test('FHIR AuditEvent search by patient returns a searchset of AuditEvents', async () => {
  const patient = fixture.patients['own-team'].id;
  const res = await get('privacy-officer', `/fhir/R4/AuditEvent?patient=Patient/${patient}&_count=2`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /fhir\+json/);
  const bundle = (await res.json()) as { resourceType: string; type: string; entry: { resource: { resourceType: string; entity: { what: { reference: string } }[] } }[]; link: { relation: string }[] };
  assert.equal(bundle.type, 'searchset');
  assert.equal(bundle.entry.length, 2);
  assert.ok(bundle.entry.every((e) => e.resource.resourceType === 'AuditEvent'));
  assert.ok(bundle.entry.every((e) => e.resource.entity.some((en) => en.what?.reference === `Patient/${patient}`)));
  assert.ok(bundle.link.some((l) => l.relation === 'next'));
});

test('the streamed export carries every match as NDJSON', async () => {
  const patient = fixture.patients['own-team'].id;
  const res = await get('privacy-officer', `/api/audit/export.ndjson?patient=${patient}&action=patient.read`);
  assert.equal(res.status, 200);
  const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as { auditEvent: { resourceType: string } });
  assert.equal(lines.length, 3);
  assert.ok(lines.every((l) => l.auditEvent.resourceType === 'AuditEvent'));
});
