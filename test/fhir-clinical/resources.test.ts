import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Chart } from '../../src/core/clinical/chart-view.ts';
import { SEARCH_PARAMS } from '../../src/core/clinical/fhir/search-params.ts';
import { CLINICAL_TYPES } from '../../src/core/clinical/resource-types.ts';
import { signIn } from '../support/access-fixture.ts';
import { startTestVigil, type TestVigil } from '../support/in-process.ts';
import { assertNoCanaries, assertOperationOutcome, call, errorBodies, problemCodeOf, type Answer } from './http.ts';
import { checkResource } from './r4-shape.ts';
import { seedClinical, type Seeded } from './seed.ts';

/**
 * What the FHIR face serves, as a client sees it: valid R4 for every type, versions and provenance, links between
 * resources, every search parameter it declares, paging and its bounds, $everything, the CapabilityStatement and SMART
 * discovery, and the chart and history JSON for the web UI.
 */
const T = { timeout: 120_000 };
let t: TestVigil;
let s: Seeded;
let token: string;

before(async () => {
  t = await startTestVigil();
  s = await seedClinical(t);
  token = await signIn(t.url, s.fixture.people.get('physician')!);
}, T);
after(() => t?.close());

const get = (path: string) => call(t, token, path);
const own = () => s.fixture.patients['own-team'].id;
const ids = (a: Answer) => (a.json.entry ?? []).map((e) => e.resource.id);

async function ok(path: string): Promise<Answer> {
  const res = await get(path);
  assert.equal(res.status, 200, `${path}: ${res.text.slice(0, 300)}`);
  assert.match(res.contentType, /application\/fhir\+json/);
  assert.deepEqual(checkResource(res.json), [], path);
  return res;
}

/** Searches page by offset and link back; Patient/$everything pages by cursor, forward only. */
async function walkPages(first: string, backLinks = true): Promise<{ ids: string[]; pages: number; total: number }> {
  let page = await ok(first);
  const total = page.json.total!;
  const seen = [...ids(page)];
  let pages = 1;
  for (let next = page.json.link?.find((l) => l.relation === 'next'); next; next = page.json.link?.find((l) => l.relation === 'next')) {
    page = await ok(next.url);
    assert.equal(page.json.total, total, 'the total stays the same on every page');
    assert.equal(page.json.link?.some((l) => l.relation === 'previous'), backLinks);
    seen.push(...ids(page));
    pages++;
  }
  return { ids: seen, pages, total };
}

describe('resources', () => {
  it('serves every clinical type as valid R4, with versionId and lastUpdated on versioned facts', T, async () => {
    for (const type of CLINICAL_TYPES) {
      const bundle = await ok(`/fhir/R4/${type}?patient=${own()}`);
      assert.ok((bundle.json.total ?? 0) > 0, `${type}: the seed holds at least one`);
      for (const { resource } of bundle.json.entry!) {
        assert.equal(resource.resourceType, type);
        const meta = resource['meta'] as { versionId?: string; lastUpdated: string };
        assert.ok(meta.lastUpdated);
        if (type !== 'Encounter') assert.match(meta.versionId ?? '', /^\d+$/);
        assert.deepEqual(checkResource((await ok(`/fhir/R4/${type}/${resource.id}`)).json), []);
      }
    }
  });

  it('serves the current version of a result corrected twice (sent out of order), with one Provenance per version', T, async () => {
    const obs = (await ok(`/fhir/R4/Observation/${s.facts['cholesterol']}`)).json;
    assert.deepEqual([obs['status'], (obs['valueQuantity'] as { value: number }).value], ['corrected', 190]);
    const versionId = (obs['meta'] as { versionId: string }).versionId;
    const provenance = await ok(`/fhir/R4/Provenance?target=Observation/${s.facts['cholesterol']}`);
    assert.equal(provenance.json.total, 3);
    const messages = await t.vigil.store.db.selectFrom('gateway_messages').select(['id', 'control_id']).where('control_id', 'in', ['C-ORU-CHOL-P', 'C-ORU-CHOL-F', 'C-ORU-CHOL-C']).execute();
    const messageOf = new Map(messages.map((m) => [m.control_id, m.id]));
    const byVersion = provenance.json.entry!.map((e) => e.resource as unknown as { id: string; target: { reference: string }[]; entity: { what: { identifier: { value: string } } }[]; agent: { who: { display: string } }[]; activity: { coding: { code: string }[] }; extension: { url: string; valueDecimal?: number }[]; recorded: string; occurredDateTime: string });
    // Listed in the order the versions rank (source time), each under the number it arrived with; the current one,
    // whose number is the resource's versionId, last.
    const numbers = byVersion.map((p) => Number(/\/_history\/(\d+)$/.exec(p.target[0]!.reference)?.[1]));
    assert.deepEqual([...numbers].sort(), [1, 2, 3]);
    assert.equal(String(numbers.at(-1)), versionId);
    assert.deepEqual(byVersion.map((p) => p.entity[0]!.what.identifier.value), [messageOf.get('C-ORU-CHOL-P'), messageOf.get('C-ORU-CHOL-F'), messageOf.get('C-ORU-CHOL-C')]);
    for (const p of byVersion) {
      assert.equal(p.agent[0]!.who.display, 'north-lab');
      assert.equal(p.activity.coding[0]!.code, 'asserted');
      assert.equal(p.extension.find((e) => e.url === 'urn:vigil:fhir:StructureDefinition/confidence')?.valueDecimal, 1);
    }
    const one = await ok(`/fhir/R4/Provenance/${byVersion[1]!.id}`);
    assert.equal((one.json['target'] as { reference: string }[])[0]!.reference, `Observation/${s.facts['cholesterol']}/_history/${numbers[1]}`);
  });

  it('links a report to its observations, an administration to its order, and a document to its encounter', T, async () => {
    const report = (await ok(`/fhir/R4/DiagnosticReport/${s.facts['finalReport']}`)).json;
    const results = (report['result'] as { reference: string }[]).map((r) => r.reference);
    assert.deepEqual(results.sort(), [`Observation/${s.facts['glucose']}`, `Observation/${s.facts['potassium']}`].sort());
    for (const ref of results) await ok(`/fhir/R4/${ref}`);
    const given = (await ok(`/fhir/R4/MedicationAdministration/${s.facts['administration']}`)).json;
    assert.equal((given['request'] as { reference: string }).reference, `MedicationRequest/${s.facts['order']}`);
    const document = (await ok(`/fhir/R4/DocumentReference/${s.facts['document']}`)).json;
    assert.deepEqual(document['context'], { encounter: [{ reference: `Encounter/${s.encounterId}` }] });
    assert.deepEqual((document['content'] as { attachment: unknown }[])[0]!.attachment, { contentType: 'text/plain', size: 2048, title: 'Discharge summary' });
  });

  it('marks an inferred fact with a derivation tag, and keeps a year-precision onset a year', T, async () => {
    const inferred = (await ok(`/fhir/R4/Condition/${s.facts['inferredProblem']}`)).json;
    assert.deepEqual((inferred['meta'] as { tag: unknown }).tag, [{ system: 'urn:vigil:fhir:CodeSystem/derivation', code: 'inferred' }]);
    assert.equal((inferred['verificationStatus'] as { coding: { code: string }[] }).coding[0]!.code, 'unconfirmed');
    const problem = (await ok(`/fhir/R4/Condition/${s.facts['problem']}`)).json;
    assert.equal(problem['onsetDateTime'], '2019');
    assert.equal((problem['meta'] as { tag?: unknown }).tag, undefined);
  });
});

describe('search parameters', () => {
  it('matches code by system|code, by code alone, and by alternatives', T, async () => {
    assert.deepEqual(ids(await ok(`/fhir/R4/Observation?patient=${own()}&code=http://loinc.org|2345-7`)), [s.facts['glucose']]);
    assert.deepEqual(ids(await ok(`/fhir/R4/Observation?patient=${own()}&code=2345-7`)), [s.facts['glucose']]);
    assert.equal((await ok(`/fhir/R4/Observation?patient=${own()}&code=http://snomed.info/sct|2345-7`)).json.total, 0);
    assert.deepEqual(new Set(ids(await ok(`/fhir/R4/Observation?subject=Patient/${own()}&code=2345-7,2823-3`))), new Set([s.facts['glucose'], s.facts['potassium']]));
  });

  it('filters by status, clinical-status, category and date ranges', T, async () => {
    assert.deepEqual(ids(await ok(`/fhir/R4/Observation?patient=${own()}&status=preliminary`)), [s.facts['hemoglobin']]);
    assert.equal((await ok(`/fhir/R4/Observation?patient=${own()}&status=final,corrected`)).json.total, 3);
    assert.deepEqual(ids(await ok(`/fhir/R4/Condition?patient=${own()}&clinical-status=unconfirmed`)), [s.facts['inferredProblem']]);
    assert.equal((await ok(`/fhir/R4/Condition?patient=${own()}&category=problem-list-item`)).json.total, 2);
    assert.equal((await ok(`/fhir/R4/AllergyIntolerance?patient=${own()}&category=food`)).json.total, 0);
    // The seed's lab reports name no service section (OBR-24) and no result is a vital sign: none has a category.
    assert.equal((await ok(`/fhir/R4/Observation?patient=${own()}&category=laboratory,vital-signs`)).json.total, 0);
    // Results were taken 2024-03-01 14:00–17:00 UTC: day precision, then instants with an offset, then a half-open range.
    assert.equal((await ok(`/fhir/R4/Observation?patient=${own()}&date=2024-03-01`)).json.total, 4);
    assert.equal((await ok(`/fhir/R4/Observation?patient=${own()}&date=2024-02`)).json.total, 0);
    assert.deepEqual(ids(await ok(`/fhir/R4/Observation?patient=${own()}&date=ge2024-03-01T11:00:00-05:00`)), [s.facts['cholesterol']]);
    const range = await ok(`/fhir/R4/Observation?patient=${own()}&date=ge2024-03-01T14:00:00Z&date=lt2024-03-01T15:00:00Z`);
    assert.deepEqual(new Set(ids(range)), new Set([s.facts['glucose'], s.facts['potassium'], s.facts['hemoglobin']]));
    assert.equal((await ok(`/fhir/R4/Encounter?patient=${own()}&status=in-progress&date=2024`)).json.total, 1);
  });

  it('accepts every parameter the CapabilityStatement declares for each type', T, async () => {
    const sample: Record<string, string> = { patient: own(), subject: `Patient/${own()}`, code: '2345-7', status: 'final', date: 'ge2000', category: 'LAB', 'clinical-status': 'active', _count: '5', _offset: '0' };
    for (const type of CLINICAL_TYPES) for (const param of SEARCH_PARAMS[type]) await ok(`/fhir/R4/${type}?${param.name}=${encodeURIComponent(sample[param.name]!)}`);
  });

  it('refuses what it does not support with a 400 OperationOutcome that does not echo the value', T, async () => {
    const refused = [
      '/fhir/R4/Observation?family=Vantablack-Quorrin',
      '/fhir/R4/MedicationRequest?category=laboratory',
      '/fhir/R4/Observation?code=a&code=b',
      '/fhir/R4/Observation?date=Zephyrine',
      '/fhir/R4/Observation?date=2024-13-01',
      '/fhir/R4/Observation?date=ge2024&date=le2025&date=eq2024',
      '/fhir/R4/Observation?patient=Zephyrine',
      `/fhir/R4/Observation?patient=${own()}&subject=Patient/${s.fixture.patients['other-team'].id}`,
      '/fhir/R4/Observation?status=Final Result',
      '/fhir/R4/Encounter?code=x',
      '/fhir/R4/Provenance?target=Zephyrine',
      '/fhir/R4/Provenance?target=Specimen/01890000-0000-7000-8000-000000000001',
      `/fhir/R4/Patient/${own()}/$everything?_type=Observation`,
    ];
    for (const path of refused) {
      const res = await get(path);
      assertOperationOutcome(res, 400);
      assert.equal(problemCodeOf(res), 'invalid-search', path);
    }
    assertNoCanaries(errorBodies);
  });

  it('answers an unknown resource type with a 404 OperationOutcome', T, async () => {
    assertOperationOutcome(await get('/fhir/R4/Specimen'), 404);
    assertOperationOutcome(await get('/fhir/R4/Specimen/01890000-0000-7000-8000-000000000001'), 404);
  });
});

describe('paging', () => {
  it('pages a search across patients with self, next and previous links until the total is reached', T, async () => {
    const { ids: seen, pages, total } = await walkPages('/fhir/R4/Observation?_count=2');
    assert.equal(seen.length, total);
    assert.equal(new Set(seen).size, total, 'no resource appears on two pages');
    assert.equal(pages, Math.ceil(total / 2));
  });

  it('keeps _count within 0..100 and _offset within 0..10000; _count=0 answers the total only', T, async () => {
    const counted = await ok(`/fhir/R4/Observation?patient=${own()}&_count=0`);
    assert.equal(counted.json.entry, undefined);
    assert.equal(counted.json.total, 4);
    assert.ok(!counted.json.link?.some((l) => l.relation === 'next'));
    assert.equal((await ok(`/fhir/R4/Observation?patient=${own()}&_count=100`)).json.entry?.length, 4);
    assert.equal((await ok(`/fhir/R4/Observation?patient=${own()}&_offset=10000`)).json.entry, undefined);
    for (const bad of ['_count=101', '_count=-1', '_count=abc', '_count=1.5', '_offset=10001', '_count=1&_count=2']) {
      const res = await get(`/fhir/R4/Observation?patient=${own()}&${bad}`);
      assertOperationOutcome(res, 400);
    }
    for (const bad of ['_count=101', '_offset=-3', '_offset=3']) assertOperationOutcome(await get(`/fhir/R4/Patient/${own()}/$everything?${bad}`), 400);
  });

  it('refuses a Patient/$everything cursor that was altered or belongs to another patient with a 400 that says so', T, async () => {
    const first = await ok(`/fhir/R4/Patient/${own()}/$everything?_count=2`);
    const next = new URL(first.json.link!.find((l) => l.relation === 'next')!.url);
    const cursor = next.searchParams.get('_cursor')!;
    const second = await ok(`${next.pathname}${next.search}`);
    assert.equal(second.json.entry?.length, 2);
    const tampered = `${cursor.slice(0, 10)}${cursor[10] === 'A' ? 'B' : 'A'}${cursor.slice(11)}`;
    const other = s.fixture.patients['own-team-no-encounter'].id;
    for (const path of [
      `/fhir/R4/Patient/${own()}/$everything?_cursor=${tampered}`,
      `/fhir/R4/Patient/${own()}/$everything?_cursor=not-a-cursor`,
      `/fhir/R4/Patient/${other}/$everything?_cursor=${cursor}`,
    ]) {
      const res = await get(path);
      assertOperationOutcome(res, 400);
      assert.equal(problemCodeOf(res), 'invalid-cursor', path);
      assert.match(res.text, /Start again from the first page/);
    }
  });

  it('pages Patient/$everything: the patient first, then every permitted resource exactly once', T, async () => {
    const all = await ok(`/fhir/R4/Patient/${own()}/$everything?_count=100`);
    const entries = all.json.entry!.map((e) => e.resource);
    assert.equal(entries[0]!.resourceType, 'Patient');
    assert.equal(all.json.total, entries.length);
    const facts = await t.vigil.store.db.selectFrom('clinical_facts').select('id').where('patient_id', '=', own()).execute();
    const encounters = await t.vigil.store.db.selectFrom('encounters').select('id').where('patient_id', '=', own()).execute();
    assert.equal(all.json.total, 1 + facts.length + encounters.length, 'a physician sees every fact, preliminary ones included');
    for (const size of [3, 1]) {
      const paged = await walkPages(`/fhir/R4/Patient/${own()}/$everything?_count=${size}`, false);
      assert.deepEqual(paged.ids, entries.map((e) => e.id), `pages of ${size}`);
      assert.equal(paged.pages, Math.ceil(entries.length / size));
    }
    const types = new Set(entries.map((e) => e.resourceType));
    for (const type of ['Patient', ...CLINICAL_TYPES]) assert.ok(types.has(type), `$everything holds a ${type}`);
  });
});

describe('discovery', () => {
  it('publishes a CapabilityStatement without a credential, listing exactly the types served', T, async () => {
    const res = await call(t, null, '/fhir/R4/metadata');
    assert.equal(res.status, 200);
    assert.deepEqual(checkResource(res.json), []);
    const rest = (res.json['rest'] as { resource: { type: string; interaction: { code: string }[]; operation?: { name: string }[] }[] }[])[0]!;
    const types = rest.resource.map((r) => r.type);
    assert.deepEqual([...types].sort(), ['AuditEvent', 'Binary', 'Patient', 'Provenance', ...CLINICAL_TYPES].sort());
    assert.deepEqual(rest.resource.find((r) => r.type === 'Binary')!.interaction.map((i) => i.code), ['read'], 'document content is read, never searched');
    assert.deepEqual(rest.resource.find((r) => r.type === 'Patient')!.operation?.map((o) => o.name), ['everything']);
    assert.equal(res.json['fhirVersion'], '4.0.1');
    // Each type it lists is served: with a credential nothing answers 404 for the type itself.
    for (const type of types.filter((t) => t !== 'Binary')) {
      const search = await get(`/fhir/R4/${type}${type === 'Provenance' ? `?target=Condition/${s.facts['problem']}` : ''}`);
      assert.ok(search.status === 200 || search.status === 403, `${type} search answered ${search.status}`);
    }
  });

  it('describes the new routes in the OpenAPI document', T, async () => {
    const res = await call(t, null, '/openapi.json');
    assert.equal(res.status, 200);
    const paths = Object.keys(res.json['paths'] as Record<string, unknown>);
    for (const path of ['/fhir/R4/Observation', '/fhir/R4/Observation/{id}', '/fhir/R4/Patient/{id}/$everything', '/fhir/R4/Provenance', '/fhir/R4/metadata', '/api/patients/{id}/chart', '/api/patients/{id}/chart/{section}', '/api/facts/{id}/history']) assert.ok(paths.includes(path), path);
  });

  it('mirrors SMART discovery under the FHIR base', T, async () => {
    const root = await call(t, null, '/.well-known/smart-configuration');
    const fhir = await call(t, null, '/fhir/R4/.well-known/smart-configuration');
    assert.equal(fhir.status, 200);
    assert.deepEqual(fhir.json, root.json);
    assert.match(String(fhir.json['token_endpoint']), /\/oauth2\/token$/);
  });
});

describe('the chart and fact history for the web UI', () => {
  it('assembles the chart with provenance on every fact, inferred marks, identifiers with their sources and stale feeds', T, async () => {
    const res = await get(`/api/patients/${own()}/chart`);
    assert.equal(res.status, 200);
    const chart = res.json as unknown as Chart;
    assert.deepEqual([chart.patient.resourceType, chart.patient.id, chart.patient['payer']], ['Patient', own(), undefined]);
    assert.deepEqual(chart.identifiers[0]!.sources.map((x) => x.sourceName).sort(), ['north-adt', 'north-lab', 'north-rx']);
    assert.equal(chart.encounters.items.find((e) => e.id === s.encounterId)?.provenance?.sourceName, 'north-adt');
    const medicationKinds = chart.medications.items.map((m) => m.kind).sort();
    assert.deepEqual(medicationKinds, ['medication-administration', 'medication-dispense', 'medication-request', 'medication-statement']);
    const report = chart.results.items.find((r) => r.id === s.facts['finalReport'])!;
    assert.deepEqual(report.observations?.map((o) => o.id).sort(), [s.facts['glucose'], s.facts['potassium']].sort());
    assert.deepEqual(chart.results.items.map((r) => r.kind), ['diagnostic-report', 'diagnostic-report', 'diagnostic-report'], 'every observation sits under its report');
    assert.deepEqual(Object.keys(chart.allergies.items[0]!.provenance).sort(), ['confidence', 'derivation', 'flags', 'lastConfirmedAt', 'receivedAt', 'sourceId', 'sourceName', 'sourceTime', 'transform']);
    const inferred = chart.problems.items.find((p) => p.id === s.facts['inferredProblem'])!;
    assert.deepEqual([inferred.inferred, inferred.provenance.derivation, inferred.provenance.confidence], [true, 'inferred', 0.6]);
    assert.equal(chart.problems.items.find((p) => p.id === s.facts['problem'])!.inferred, false);
    assert.equal(chart.documents.items.length, 1);
    assert.deepEqual(chart.stale.map((f) => f.sourceName), ['north-lab']);
    assert.deepEqual(chart.withheld, []);
    // Everything fits on the first page: each section is whole, counted, and has no next page.
    const sections = [chart.encounters, chart.results, chart.medications, chart.problems, chart.allergies, chart.documents];
    const encounters = await t.vigil.store.db.selectFrom('encounters').select('id').where('patient_id', '=', own()).execute();
    assert.deepEqual(sections.map((x) => [x.total, x.next]), [[encounters.length, null], [3, null], [4, null], [2, null], [1, null], [1, null]]);
    assert.equal(chart.encounters.items.length, encounters.length);
    // The cholesterol result has three versions; the chart says so and dates it by its newest arrival.
    const cholesterol = chart.results.items.flatMap((r) => r.observations ?? []).find((o) => o.id === s.facts['cholesterol'])!;
    assert.deepEqual([cholesterol.version, cholesterol.status, cholesterol.provenance.transform], [3, 'corrected', 'hl7v2-map@1 profile 1']);
  });

  it('lists every version of a fact with its provenance, ranked with the current one last, each numbered like its FHIR versionId', T, async () => {
    const res = await get(`/api/facts/${s.facts['cholesterol']}/history`);
    assert.equal(res.status, 200);
    const history = res.json as unknown as { fact: { version: number; status: string }; versions: { version: number; current: boolean; status: string; provenance: { sourceName: string; receivedAt: string; transform: string } }[] };
    assert.deepEqual(history.versions.map((v) => [v.status, v.current]), [['preliminary', false], ['final', false], ['corrected', true]]);
    assert.deepEqual(history.versions.map((v) => v.version).sort(), [1, 2, 3]);
    const read = await get(`/fhir/R4/Observation/${s.facts['cholesterol']}`);
    assert.equal((read.json['meta'] as { versionId: string }).versionId, String(history.versions.at(-1)!.version));
    assert.equal(history.fact.version, 3);
    for (const v of history.versions) assert.deepEqual([v.provenance.sourceName, v.provenance.transform], ['north-lab', 'hl7v2-map@1 profile 1']);
    assert.equal((await get('/api/facts/01890000-0000-7000-8000-000000000009/history')).status, 403);
  });
});
