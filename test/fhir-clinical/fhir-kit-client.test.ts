import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CapabilityTool, Client, type FhirResource } from 'fhir-kit-client';
import { CLINICAL_TYPES } from '../../src/core/clinical/resource-types.ts';
import { signIn } from '../support/access-fixture.ts';
import { startTestVigil, type TestVigil } from '../support/in-process.ts';
import { seedClinical, type Seeded } from './seed.ts';

/**
 * A stock FHIR client (fhir-kit-client, unmodified) against Vigil with a bearer token: discovery, read, search,
 * following `next` links to the end, and the refusals it sees as HTTP errors.
 */
const T = { timeout: 120_000 };
let t: TestVigil;
let s: Seeded;
let client: Client;

type Bundle = FhirResource & { total: number; entry?: { resource: FhirResource & { id: string } }[]; link: { relation: string; url: string }[] };

before(async () => {
  t = await startTestVigil();
  s = await seedClinical(t);
  client = new Client({ baseUrl: `${t.url}/fhir/R4`, bearerToken: await signIn(t.url, s.fixture.people.get('physician')!) });
}, T);
after(() => t?.close());

async function everyPage(first: Bundle): Promise<{ ids: string[]; pages: number }> {
  const ids = (first.entry ?? []).map((e) => e.resource.id);
  let pages = 1;
  for (let page = client.nextPage({ bundle: first }); page; ) {
    const bundle = (await page) as Bundle;
    ids.push(...(bundle.entry ?? []).map((e) => e.resource.id));
    pages++;
    page = client.nextPage({ bundle });
  }
  return { ids, pages };
}

describe('fhir-kit-client against the FHIR R4 face', () => {
  it('discovers the server: CapabilityStatement and SMART token endpoint', T, async () => {
    const statement = await client.capabilityStatement();
    const tool = new CapabilityTool(statement);
    for (const type of CLINICAL_TYPES) {
      assert.ok(tool.resourceCan(type, 'read'), `${type} read`);
      assert.ok(tool.resourceCan(type, 'search-type'), `${type} search`);
      assert.ok(tool.resourceSearch(type, 'patient'), `${type} ?patient`);
    }
    assert.ok(!tool.resourceCan('Observation', 'create'), 'the face is read-only');
    const auth = await client.smartAuthMetadata();
    assert.match(String(auth.tokenUrl), /\/oauth2\/token$/);
  });

  it('reads a resource and a patient', T, async () => {
    const observation = (await client.read({ resourceType: 'Observation', id: s.facts['cholesterol']! })) as FhirResource & { status: string; meta: { versionId: string } };
    assert.deepEqual([observation.resourceType, observation.status], ['Observation', 'corrected']);
    assert.match(observation.meta.versionId, /^[123]$/, 'the arrival number of the corrected version, one of three');
    const patient = await client.read({ resourceType: 'Patient', id: s.fixture.patients['own-team'].id });
    assert.equal(patient.resourceType, 'Patient');
  });

  it('searches one patient and follows next links to the last page', T, async () => {
    const first = (await client.search({ resourceType: 'Observation', searchParams: { patient: s.fixture.patients['own-team'].id, _count: 1 } })) as Bundle;
    assert.equal(first.total, 4);
    const { ids, pages } = await everyPage(first);
    assert.equal(pages, 4);
    assert.deepEqual(new Set(ids), new Set([s.facts['glucose'], s.facts['potassium'], s.facts['hemoglobin'], s.facts['cholesterol']]));
    const back = (await client.prevPage({ bundle: (await client.nextPage({ bundle: first }))! as Bundle })) as Bundle;
    assert.equal(back.entry?.[0]?.resource.id, first.entry?.[0]?.resource.id);
  });

  it('searches across the charts it may open, and pages Patient/$everything', T, async () => {
    const across = (await client.search({ resourceType: 'Observation', searchParams: { code: 'http://loinc.org|2345-7', _count: 2 } })) as Bundle;
    const all = await everyPage(across);
    assert.equal(all.ids.length, across.total);
    assert.ok(!all.ids.includes(s.facts['otherTeamGlucose']!));
    const everything = (await client.operation({ name: '$everything', resourceType: 'Patient', id: s.fixture.patients['own-team'].id, method: 'GET', input: { _count: 5 } })) as Bundle;
    const pages = await everyPage(everything);
    assert.equal(pages.ids.length, everything.total);
    assert.equal(new Set(pages.ids).size, everything.total);
  });

  it('sees refusals and bad requests as HTTP errors carrying an OperationOutcome', T, async () => {
    const refusal = await client.read({ resourceType: 'Observation', id: s.facts['otherTeamGlucose']! }).then(() => undefined, (err: { response?: { status: number; data: { resourceType: string } } }) => err.response);
    assert.deepEqual([refusal?.status, refusal?.data.resourceType], [403, 'OperationOutcome']);
    const bad = await client.search({ resourceType: 'Observation', searchParams: { _count: 500 } }).then(() => undefined, (err: { response?: { status: number; data: { resourceType: string } } }) => err.response);
    assert.deepEqual([bad?.status, bad?.data.resourceType], [400, 'OperationOutcome']);
  });
});
