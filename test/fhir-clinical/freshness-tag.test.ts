import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { signIn } from '../support/access-fixture.ts';
import { startTestVigil, type TestVigil } from '../support/in-process.ts';
import { waitFor } from '../support/wait.ts';
import { call } from './http.ts';
import { seedClinical, type Seeded } from './seed.ts';

/**
 * A FHIR client sees on each resource what the chart's banner says: its source feed has gone quiet. The seed marks
 * north-lab stale; results from it carry `possibly-stale`, facts from other feeds do not, and the tag goes away when
 * the feed recovers, with nothing rewritten.
 */
const T = { timeout: 120_000 };
const STALE = 'urn:vigil:fhir:CodeSystem/freshness';
let t: TestVigil;
let s: Seeded;
let token: string;

before(async () => {
  t = await startTestVigil();
  s = await seedClinical(t);
  token = await signIn(t.url, s.fixture.people.get('physician')!);
}, T);
after(() => t?.close());

type Tagged = { meta?: { source?: string; tag?: { system: string; code: string }[] } };
const staleTag = (r: Tagged) => r.meta?.tag?.find((tag) => tag.system === STALE)?.code;

describe('possibly-stale tags on FHIR answers', () => {
  it('tags a result from the stale lab feed in a read, a search and $everything, and nothing from other feeds', T, async () => {
    const read = await call(t, token, `/fhir/R4/Observation/${s.facts['glucose']}`);
    assert.equal(read.status, 200);
    assert.equal((read.json as Tagged).meta?.source, 'urn:vigil:source:north-lab');
    assert.equal(staleTag(read.json as Tagged), 'possibly-stale');
    const problem = await call(t, token, `/fhir/R4/Condition/${s.facts['problem']}`);
    assert.equal(staleTag(problem.json as Tagged), undefined, 'north-ehr is not stale');
    const search = await call(t, token, `/fhir/R4/Observation?patient=${s.fixture.patients['own-team'].id}`);
    const entries = (search.json.entry as { resource: Tagged }[]).map((e) => e.resource);
    assert.ok(entries.length > 0 && entries.every((r) => r.meta?.source !== 'urn:vigil:source:north-lab' || staleTag(r) === 'possibly-stale'));
    const everything = await call(t, token, `/fhir/R4/Patient/${s.fixture.patients['own-team'].id}/$everything`);
    const resources = (everything.json.entry as { resource: Tagged }[]).map((e) => e.resource);
    assert.ok(resources.some((r) => staleTag(r) === 'possibly-stale'));
    assert.ok(resources.filter((r) => r.meta?.source === 'urn:vigil:source:north-ehr').every((r) => staleTag(r) === undefined));
  });

  it('drops the tag once the feed recovers', T, async () => {
    await sql`update gateway_feeds set stale_since = null`.execute(t.vigil.store.db);
    await waitFor('the tag to go', async () => staleTag((await call(t, token, `/fhir/R4/Observation/${s.facts['glucose']}`)).json as Tagged) === undefined);
  });
});
