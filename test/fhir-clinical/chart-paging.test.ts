import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Chart, ChartResult, ChartSectionPage } from '../../src/core/clinical/chart-view.ts';
import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { writeFact } from '../../src/core/clinical/fact-writer.ts';
import type { FactInput } from '../../src/model/clinical.ts';
import { signIn } from '../support/access-fixture.ts';
import { startTestVigil, type TestVigil } from '../support/in-process.ts';
import { assertNoCanaries, auditOf, call, errorBodies, type Answer } from './http.ts';
import { seedClinical, type Seeded } from './seed.ts';

/**
 * The chart as pages: the first screen carries each section's newest entries, its total and a cursor; "show more"
 * (GET /api/patients/{id}/chart/{section}?before=…) walks the rest newest first, each page audited like the chart.
 * Totals and pages hold only what the caller may see, and a cursor works only for the patient and section it came from.
 */
const T = { timeout: 120_000 };
let t: TestVigil;
let s: Seeded;
const tokens = new Map<string, string>();

before(async () => {
  t = await startTestVigil();
  s = await seedClinical(t);
  for (const role of ['physician', 'nurse', 'billing-specialist'] as const) tokens.set(role, await signIn(t.url, s.fixture.people.get(role)!));
}, T);
after(() => t?.close());

const as = (role: string, path: string) => call(t, tokens.get(role)!, path);
const own = () => s.fixture.patients['own-team'].id;
const chartOf = (a: Answer) => a.json as unknown as Chart;
const pageOf = (a: Answer) => a.json as unknown as ChartSectionPage;
const at = (iso: string) => new Date(iso);

/** Follows a section's cursors to the end: every id in the order shown, and how many pages it took. */
async function walk(role: string, section: string, first: { items: { id: string }[]; next: string | null; total: number }, limit: number) {
  const ids = first.items.map((i) => i.id);
  let pages = 1;
  for (let next = first.next; next; pages++) {
    const res = await as(role, `/api/patients/${own()}/chart/${section}?limit=${limit}&before=${encodeURIComponent(next)}`);
    assert.equal(res.status, 200, res.text.slice(0, 300));
    const page = pageOf(res);
    assert.equal(page.section, section);
    assert.equal(page.total, first.total, 'the total stays the same on every page');
    ids.push(...page.items.map((i) => i.id));
    next = page.next;
  }
  return { ids, pages };
}

describe('the chart, a page per section', () => {
  it('shows the newest entries of each section with its total, and walks the rest newest first, each entry once', T, async () => {
    const res = await as('physician', `/api/patients/${own()}/chart?limit=1`);
    assert.equal(res.status, 200);
    const chart = chartOf(res);
    assert.equal(chart.limit, 1);
    assert.deepEqual([chart.results.items.length, chart.results.total, typeof chart.results.next], [1, 3, 'string']);
    assert.deepEqual([chart.medications.items.length, chart.medications.total], [1, 4]);
    // Allergies and problems are short lists a clinician needs whole: they are not cut to the page size.
    assert.deepEqual([chart.problems.items.length, chart.problems.total, chart.problems.next], [2, 2, null]);

    const results = await walk('physician', 'results', chart.results, 1);
    assert.equal(results.pages, 3);
    assert.equal(new Set(results.ids).size, 3);
    const whole = chartOf(await as('physician', `/api/patients/${own()}/chart`));
    assert.deepEqual(results.ids, whole.results.items.map((r) => r.id), 'pages follow the order of the whole section');
    const medications = await walk('physician', 'medications', chart.medications, 1);
    assert.deepEqual(medications.ids, whole.medications.items.map((m) => m.id));
    const times = whole.medications.items.map((m) => m.effectiveAt ?? '');
    assert.deepEqual(times, [...times].sort().reverse(), 'newest first');
  });

  it('pages a section from its start without a cursor, and a second page holds the next entries', T, async () => {
    const first = pageOf(await as('physician', `/api/patients/${own()}/chart/results?limit=2`));
    assert.equal(first.items.length, 2);
    const second = pageOf(await as('physician', `/api/patients/${own()}/chart/results?limit=2&before=${encodeURIComponent(first.next!)}`));
    assert.deepEqual([second.items.length, second.next], [1, null]);
    assert.ok(!first.items.some((i) => i.id === second.items[0]!.id));
    // A report brings its observations on whichever page it lands.
    const reports = [...first.items, ...second.items] as ChartResult[];
    assert.equal(reports.find((r) => r.id === s.facts['finalReport'])!.observations?.length, 2);
  });

  it('neither shows nor counts results a nurse may not see, on any page', T, async () => {
    const chart = chartOf(await as('nurse', `/api/patients/${own()}/chart?limit=1`));
    assert.equal(chart.results.total, 2);
    const walked = await walk('nurse', 'results', chart.results, 1);
    assert.equal(walked.ids.length, 2);
    assert.ok(!walked.ids.includes(s.facts['prelimReport']!));
    const physician = chartOf(await as('physician', `/api/patients/${own()}/chart?limit=1`));
    assert.equal(physician.results.total, 3);
  });

  it('records every page as one read of the patient, and refuses a page exactly as it refuses the chart', T, async () => {
    const res = await as('physician', `/api/patients/${own()}/chart/medications?limit=2`);
    const events = await auditOf(t, res.requestId);
    assert.deepEqual(events.map((e) => [e.action, e.outcome, e.patient_id, e.resource_type]), [['chart.read', 'success', own(), 'Patient']]);
    assert.deepEqual([(events[0]!.details as { view: string; section: string; facts: number }).view, (events[0]!.details as { section: string }).section, (events[0]!.details as { facts: number }).facts], ['chart-section', 'medications', 2]);
    const otherTeam = s.fixture.patients['other-team'].id;
    const refused = await as('physician', `/api/patients/${otherTeam}/chart/results`);
    assert.equal(refused.status, 403);
    assert.equal((await auditOf(t, refused.requestId))[0]?.outcome, 'denied');
    assert.equal((await as('billing-specialist', `/api/patients/${own()}/chart/results`)).status, 403);
    assert.equal((await call(t, null, `/api/patients/${own()}/chart/results`)).status, 401);
  });
});

describe('what a bad cursor or page request gets', () => {
  it('answers a cursor from another patient, another section or an altered one with a 400 that says to start again', T, async () => {
    const chart = chartOf(await as('physician', `/api/patients/${own()}/chart?limit=1`));
    const cursor = chart.results.next!;
    const tampered = `${cursor.slice(0, 12)}${cursor[12] === 'A' ? 'B' : 'A'}${cursor.slice(13)}`;
    const sibling = s.fixture.patients['own-team-no-encounter'].id;
    for (const path of [
      `/api/patients/${sibling}/chart/results?before=${encodeURIComponent(cursor)}`,
      `/api/patients/${own()}/chart/medications?before=${encodeURIComponent(cursor)}`,
      `/api/patients/${own()}/chart/results?before=${encodeURIComponent(tampered)}`,
      `/api/patients/${own()}/chart/results?before=${encodeURIComponent('{"at":"2024-01-01"}')}`,
      `/api/patients/${own()}/chart/results?before=`,
    ]) {
      const res = await as('physician', path);
      assert.equal(res.status, 400, path);
      assert.equal((res.json as { code?: string }).code, 'invalid-cursor', path);
      assert.match(String((res.json as { detail?: string }).detail), /Start again from the first page/);
    }
  });

  it('refuses a limit outside 1..200, an unknown section and an unknown parameter, echoing none of them', T, async () => {
    for (const path of [`chart?limit=0`, `chart?limit=201`, `chart?limit=Zephyrine`, `chart?offset=50`, `chart/results?limit=-1`, `chart/results?before=x&before=y`, `chart/vitals`]) {
      const res = await as('physician', `/api/patients/${own()}/${path}`);
      assert.equal(res.status, 400, path);
      assert.ok(!res.text.includes('Zephyrine'));
    }
    assertNoCanaries(errorBodies);
  });
});

describe('what the chart reads from the fact row', () => {
  it('keeps the version count, newest arrival and current version as the versions say, whatever their order or repeats', T, async () => {
    const store = t.vigil.store;
    const record = await store.db.selectFrom('patient_records').select('id').where('patient_id', '=', own()).executeTakeFirstOrThrow();
    const provenance = { derivation: 'asserted' as const, sourceId: s.sources.ehr, sourceName: 'north-ehr', messageId: uuidv7(), receivedAt: new Date().toISOString(), transform: 'test@1', confidence: 1, flags: [] };
    const target = { sourceId: s.sources.ehr, recordId: record.id, patientId: own(), encounterId: null, encounterKey: null, provenance };
    const version = (status: string, reaction: string): FactInput => ({
      kind: 'allergy', sourceKey: 'AL-PAGING', status, code: { codings: [{ system: 'http://snomed.info/sct', code: '300913006', display: 'Shellfish allergy' }] },
      body: { category: 'food', reaction }, position: 'AL1', flags: [],
    });
    const row = async (id: string) =>
      (await sql<{ version_count: number; current_hash: string | null; fact_hash: string; current_time: Date | null; versions: number; newest: Date; last_version_at: Date }>`
        select f.version_count, cv.content_hash as current_hash, f.content_hash as fact_hash, cv.source_time as current_time, f.last_version_at,
          (select count(*)::int from clinical_fact_versions v where v.fact_id = f.id) as versions,
          (select max(recorded_at) from clinical_fact_versions v where v.fact_id = f.id) as newest
        from clinical_facts f left join clinical_fact_versions cv on cv.id = f.current_version_id where f.id = ${id}::uuid`.execute(store.db)).rows[0]!;
    const write = (input: FactInput, time: string) => store.tx((trx) => writeFact(trx, target, input, at(time)));

    const id = await write(version('active', 'Hives'), '2024-03-02T12:00:00Z');
    await write(version('active', 'Hives'), '2024-03-02T12:00:00Z'); // the same message again
    let r = await row(id);
    assert.deepEqual([r.version_count, r.versions, r.current_hash === r.fact_hash], [1, 1, true]);
    await write(version('active', 'Rash'), '2024-03-01T12:00:00Z'); // an older version arriving late
    r = await row(id);
    assert.deepEqual([r.version_count, r.versions, r.current_hash === r.fact_hash, r.current_time?.toISOString()], [2, 2, true, '2024-03-02T12:00:00.000Z']);
    await write(version('inactive', 'Hives'), '2024-03-03T12:00:00Z');
    await write(version('active', 'Hives'), '2024-03-04T12:00:00Z'); // the first content back again: a fourth version, current
    r = await row(id);
    assert.deepEqual([r.version_count, r.versions, r.current_hash === r.fact_hash, r.current_time?.toISOString()], [4, 4, true, '2024-03-04T12:00:00.000Z']);
    assert.equal(r.last_version_at.getTime(), r.newest.getTime());

    const chart = chartOf(await as('physician', `/api/patients/${own()}/chart`));
    const shown = chart.allergies.items.find((a) => a.id === id)!;
    assert.deepEqual([shown.version, shown.status, (shown.body as { reaction: string }).reaction], [4, 'active', 'Hives']);
  });

  it('fills those columns for facts stored before them: the migration\'s backfill agrees with the writer', T, async () => {
    const store = t.vigil.store;
    const expected = async () =>
      (await sql<{ id: string; n: number; newest: Date; current: string | null }>`
        select f.id, f.version_count as n, f.last_version_at as newest, f.current_version_id as current from clinical_facts f order by f.id`.execute(store.db)).rows;
    const written = await expected();
    const migration = readFileSync(new URL('../../src/store/migrations/0007_chart_read.sql', import.meta.url), 'utf8');
    const backfill = migration.split(';').map((x) => x.replace(/^\s*--.*$/gm, '').trim()).filter((x) => /^UPDATE\b/i.test(x));
    assert.equal(backfill.length, 2);
    await store.tx(async (trx) => {
      await sql`update clinical_facts set version_count = 0, last_version_at = null, current_version_id = null`.execute(trx);
      for (const statement of backfill) await sql.raw(statement).execute(trx);
    });
    assert.deepEqual(await expected(), written);
  });
});

describe('observations outside a report', () => {
  it('lists an observation under its report for whoever sees the report, and on its own for whoever does not', T, async () => {
    const store = t.vigil.store;
    const record = await store.db.selectFrom('patient_records').select('id').where('patient_id', '=', own()).executeTakeFirstOrThrow();
    const provenance = { derivation: 'asserted' as const, sourceId: s.sources.ehr, sourceName: 'north-ehr', messageId: uuidv7(), receivedAt: new Date().toISOString(), transform: 'test@1', confidence: 1, flags: [] };
    const target = { sourceId: s.sources.ehr, recordId: record.id, patientId: own(), encounterId: null, encounterKey: null, provenance };
    const glucose = { codings: [{ system: 'http://loinc.org', code: '2345-7', display: 'Glucose' }] };
    const when = { instant: '2024-03-05T10:00:00.000Z', zoneFrom: 'profile' as const, zone: 'America/New_York', precision: 'minute' as const };
    const ids = await store.tx(async (trx) => ({
      report: await writeFact(trx, target, { kind: 'diagnostic-report', sourceKey: 'RPT-PRELIM', status: 'preliminary', code: glucose, effective: when, body: {}, position: 'OBR', flags: [] }, at('2024-03-05T10:00:00Z')),
      inside: await writeFact(trx, target, { kind: 'observation', sourceKey: 'OBS-FINAL', status: 'final', code: glucose, effective: when, body: { reportKey: 'RPT-PRELIM', value: { type: 'quantity', quantity: { value: 101, unit: 'mg/dL' } } }, position: 'OBX', flags: [] }, at('2024-03-05T10:00:00Z')),
      alone: await writeFact(trx, target, { kind: 'observation', sourceKey: 'OBS-ALONE', status: 'final', code: glucose, effective: when, body: { value: { type: 'quantity', quantity: { value: 99, unit: 'mg/dL' } } }, position: 'OBX', flags: [] }, at('2024-03-05T10:00:00Z')),
    }));
    const physician = chartOf(await as('physician', `/api/patients/${own()}/chart`)).results;
    const report = physician.items.find((r) => r.id === ids.report)!;
    assert.deepEqual(report.observations?.map((o) => o.id), [ids.inside]);
    assert.ok(physician.items.some((r) => r.id === ids.alone && r.observations === undefined), 'an observation naming no report stands alone');
    assert.equal(physician.total, physician.items.length);
    assert.equal(physician.total, 5);

    const nurse = chartOf(await as('nurse', `/api/patients/${own()}/chart?limit=1`)).results;
    const walked = await walk('nurse', 'results', nurse, 1);
    assert.ok(!walked.ids.includes(ids.report), 'the preliminary report is withheld');
    assert.ok(walked.ids.includes(ids.inside), 'its final observation is shown on its own');
    assert.ok(walked.ids.includes(ids.alone));
    assert.deepEqual([nurse.total, walked.ids.length], [4, 4]);
  });
});
