import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ChartService } from '../../src/core/clinical/chart-service.ts';
import type { Chart } from '../../src/core/clinical/chart-view.ts';
import { parseSearch } from '../../src/core/clinical/fhir/search-params.ts';
import type { ClientSubject } from '../../src/controls/access/subject.ts';
import { DeniedAccess } from '../../src/core/patients/patient-service.ts';
import { NotFoundError } from '../../src/errors.ts';
import { freshTotp, signIn } from '../support/access-fixture.ts';
import { startTestVigil, type TestVigil } from '../support/in-process.ts';
import { assertNoCanaries, assertOperationOutcome, auditOf, call, errorBodies, reasonOf } from './http.ts';
import { ROLE_SETS, seedClinical, type Seeded } from './seed.ts';

/**
 * Who may read which chart, through the real routes with real sign-ins: the care team reads, an unrelated clinician
 * and an unknown id get the same refusal, billing gets no chart, security labels close charts to roles not named for
 * them (in searches too, totals included), preliminary results stay with the roles that may see them, break-glass
 * opens one chart flagged, and every read and refusal is on the audit trail. No refusal carries a patient's data.
 */
const T = { timeout: 120_000 };
let t: TestVigil;
let s: Seeded;
const tokens = new Map<string, string>();
const MISSING = '01890000-0000-7000-8000-00000000abcd';

before(async () => {
  t = await startTestVigil();
  s = await seedClinical(t);
  for (const role of ROLE_SETS) tokens.set(role, await signIn(t.url, s.fixture.people.get(role)!));
}, T);
after(() => t?.close());

const as = (role: string, path: string, headers: Record<string, string> = {}) => call(t, tokens.get(role)!, path, headers);
const own = () => s.fixture.patients['own-team'].id;
const ids = (bundle: { entry?: { resource: { id: string } }[] }) => (bundle.entry ?? []).map((e) => e.resource.id);

describe('reading a chart through the FHIR face', () => {
  it('lets a physician on the care team read, and writes one audit event for the read in its transaction', T, async () => {
    const res = await as('physician', `/fhir/R4/Observation/${s.facts['glucose']}`);
    assert.equal(res.status, 200);
    assert.equal(res.json.resourceType, 'Observation');
    const events = await auditOf(t, res.requestId);
    assert.deepEqual(events.map((e) => [e.action, e.action_code, e.outcome, e.resource_type, e.patient_id, e.reason_code]), [['result.view-final', 'R', 'success', 'Observation', own(), 'permit-care-relation']]);
    assert.deepEqual(events[0]!.resource_ids, [s.facts['glucose']]);
  });

  it('refuses an unrelated clinician with 403 and the reason, exactly as it refuses an id that does not exist, and audits both', T, async () => {
    const other = await as('physician', `/fhir/R4/Observation/${s.facts['otherTeamGlucose']}`);
    assertOperationOutcome(other, 403);
    assert.equal(reasonOf(other), 'deny-no-care-relation');
    const missing = await as('physician', `/fhir/R4/Observation/${MISSING}`);
    assertOperationOutcome(missing, 403);
    assert.equal(reasonOf(missing), 'deny-no-care-relation');
    const junk = await as('physician', '/fhir/R4/Condition/not-a-uuid');
    assertOperationOutcome(junk, 403);
    const [denied] = await auditOf(t, other.requestId);
    assert.deepEqual([denied!.outcome, denied!.reason_code, denied!.patient_id, denied!.resource_ids], ['denied', 'deny-no-care-relation', s.fixture.patients['other-team'].id, [s.facts['otherTeamGlucose']]]);
    const [unknown] = await auditOf(t, missing.requestId);
    assert.deepEqual([unknown!.outcome, unknown!.patient_id, unknown!.resource_ids], ['denied', null, [MISSING]]);
  });

  it('refuses a search or chart for another team\'s patient, and an Encounter of theirs', T, async () => {
    const patient = s.fixture.patients['other-team'].id;
    for (const path of [`/fhir/R4/Observation?patient=${patient}`, `/fhir/R4/Patient/${patient}/$everything`, `/api/patients/${patient}/chart`, `/fhir/R4/Encounter?subject=Patient/${patient}`]) {
      const res = await as('physician', path);
      assert.equal(res.status, 403, path);
      assert.equal((await auditOf(t, res.requestId))[0]?.outcome, 'denied', path);
    }
  });

  it('gives a billing specialist no chart at all: refused at the gate, audited', T, async () => {
    for (const path of [`/fhir/R4/Observation?patient=${own()}`, `/fhir/R4/Condition/${s.facts['problem']}`, `/fhir/R4/Observation`, `/api/patients/${own()}/chart`, `/fhir/R4/Patient/${own()}/$everything`, `/api/facts/${s.facts['problem']}/history`]) {
      const res = await as('billing-specialist', path);
      assert.equal(res.status, 403, path);
      const [event] = await auditOf(t, res.requestId);
      assert.deepEqual([event?.outcome, event?.reason_code, event?.action], ['denied', 'deny-role', 'chart.read'], path);
    }
    // The same person still reads the patient's demographics: the chart is what is closed.
    assert.equal((await as('billing-specialist', `/fhir/R4/Patient/${own()}`)).status, 200);
  });

  it('closes a labelled chart to a physician without behavioral-health, and opens it with that role', T, async () => {
    const labelled = s.fixture.patients['sensitive-label'].id;
    const refused = await as('physician', `/fhir/R4/Observation/${s.facts['labelledGlucose']}`);
    assert.equal(refused.status, 403);
    assert.equal(reasonOf(refused), 'deny-sensitive-label');
    assert.equal((await as('physician', `/api/patients/${labelled}/chart`)).status, 403);
    assert.equal((await as('physician+behavioral-health', `/fhir/R4/Observation/${s.facts['labelledGlucose']}`)).status, 200);
    const chart = await as('physician+behavioral-health', `/api/patients/${labelled}/chart`);
    assert.equal(chart.status, 200);
  });

  it('leaves labelled patients out of searches across patients, totals included', T, async () => {
    const plain = await as('physician', '/fhir/R4/Observation?code=2345-7');
    const opened = await as('physician+behavioral-health', '/fhir/R4/Observation?code=2345-7');
    assert.equal(plain.status, 200);
    assert.ok(!ids(plain.json).includes(s.facts['labelledGlucose']!));
    assert.ok(ids(opened.json).includes(s.facts['labelledGlucose']!));
    assert.equal(opened.json.total, plain.json.total! + 1);
    assert.equal(plain.json.total, plain.json.entry?.length, 'the total counts only what the caller may see');
    // Other teams' patients never count either.
    assert.ok(!ids(plain.json).includes(s.facts['otherTeamGlucose']!));
  });
});

describe('results by status', () => {
  it('hides preliminary results from a nurse (no result.view-preliminary) in reads, searches, reports and the chart', T, async () => {
    const read = await as('nurse', `/fhir/R4/Observation/${s.facts['hemoglobin']}`);
    assert.equal(read.status, 403);
    assert.equal(reasonOf(read), 'deny-role');
    const [denied] = await auditOf(t, read.requestId);
    assert.deepEqual([denied!.action, denied!.outcome], ['result.view-preliminary', 'denied']);

    const nurse = await as('nurse', `/fhir/R4/Observation?patient=${own()}`);
    const physician = await as('physician', `/fhir/R4/Observation?patient=${own()}`);
    assert.ok(!ids(nurse.json).includes(s.facts['hemoglobin']!));
    assert.ok(ids(physician.json).includes(s.facts['hemoglobin']!));
    assert.equal(nurse.json.total, physician.json.total! - 1);

    const reports = await as('nurse', `/fhir/R4/DiagnosticReport?patient=${own()}`);
    assert.ok(!ids(reports.json).includes(s.facts['prelimReport']!));
    assert.equal((await as('nurse', `/fhir/R4/DiagnosticReport/${s.facts['prelimReport']}`)).status, 403);

    const chart = await as('nurse', `/api/patients/${own()}/chart`);
    const body = chart.json as unknown as Chart;
    assert.deepEqual(body.withheld, ['result.view-preliminary']);
    const shown = body.results.items.flatMap((r) => [r.id, ...(r.observations ?? []).map((o) => o.id)]);
    assert.ok(!shown.includes(s.facts['hemoglobin']!) && !shown.includes(s.facts['prelimReport']!));
    assert.ok(shown.includes(s.facts['cholesterol']!), 'the corrected result is shown: nurses hold result.view-corrected');
    assert.equal(body.results.total, 2, 'the withheld preliminary report is not counted either');
  });

  it('shows a nurse only the versions of a result she may see, numbered as for everyone', T, async () => {
    const nurse = await as('nurse', `/api/facts/${s.facts['cholesterol']}/history`);
    const physician = await as('physician', `/api/facts/${s.facts['cholesterol']}/history`);
    const versions = (a: typeof nurse) => (a.json as unknown as { versions: { version: number; status: string }[] }).versions.map((v) => `${v.version}:${v.status}`);
    assert.deepEqual(versions(physician).map((v) => v.split(':')[1]), ['preliminary', 'final', 'corrected']);
    assert.deepEqual(versions(nurse), versions(physician).slice(1), 'the same versions under the same numbers, less the preliminary one');
    const provenance = await as('nurse', `/fhir/R4/Provenance?target=Observation/${s.facts['cholesterol']}`);
    assert.equal(provenance.json.total, 2);
  });

  it('leaves preliminary results out of a nurse\'s $everything', T, async () => {
    const everything = await as('nurse', `/fhir/R4/Patient/${own()}/$everything?_count=100`);
    assert.equal(everything.status, 200);
    assert.ok(!ids(everything.json).includes(s.facts['hemoglobin']!));
    assert.equal(everything.json.total, everything.json.entry?.length);
  });
});

describe('break-glass', () => {
  it('reads a patient outside the care relation under an active grant, flagged and recorded as emergency treatment', T, async () => {
    const res = await as('physician', `/fhir/R4/Observation/${s.facts['breakGlassGlucose']}`);
    assert.equal(res.status, 200);
    const [event] = await auditOf(t, res.requestId);
    assert.deepEqual([event!.break_glass, event!.purpose_of_use, event!.reason_code], [true, 'ETREAT', 'permit-break-glass']);
    // In a search across patients, that patient's hit carries the flag; the others do not.
    const search = await as('physician', '/fhir/R4/Observation?code=2345-7');
    const hits = (await auditOf(t, search.requestId)).filter((e) => e.action === 'chart.search-hit');
    const flagged = hits.filter((h) => h.break_glass).map((h) => h.patient_id);
    assert.deepEqual(flagged, [s.fixture.patients['break-glass-active'].id]);
  });

  it('opens another team\'s chart once a clinician starts break-glass with a reason and a fresh second factor', T, async () => {
    const path = `/fhir/R4/Observation/${s.facts['otherTeamGlucose']}`;
    assert.equal((await as('nurse', path)).status, 403);
    const nurse = s.fixture.people.get('nurse')!;
    const res = await fetch(`${t.url}/api/break-glass`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.get('nurse')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ patientId: s.fixture.patients['other-team'].id, reasonCode: 'emergency-treatment', reasonText: 'Collapsed on the ward, team B unreachable', totp: await freshTotp(nurse.totpSecret), minutes: 15 }),
    });
    assert.equal(res.status, 201, await res.text());
    const opened = await as('nurse', path);
    assert.equal(opened.status, 200);
    assert.equal((await auditOf(t, opened.requestId))[0]!.break_glass, true);
  });
});

describe('the audit trail of searches and views', () => {
  it('records a search as one event with its parameters and one read per patient shown', T, async () => {
    const res = await as('physician', '/fhir/R4/Observation?code=http://loinc.org|2345-7&_count=50');
    const events = await auditOf(t, res.requestId);
    const search = events.find((e) => e.action === 'chart.search')!;
    assert.equal(search.action_code, 'E');
    assert.deepEqual((search.query as { code: string[] }).code, ['http://loinc.org|2345-7']);
    const patients = new Set(res.json.entry!.map((e) => (e.resource['subject'] as { reference: string }).reference.slice('Patient/'.length)));
    const hits = events.filter((e) => e.action === 'chart.search-hit');
    assert.deepEqual(new Set(hits.map((h) => h.patient_id)), patients);
    assert.equal(hits.length, patients.size);
  });

  it('records the chart, $everything, history and provenance views as one read each', T, async () => {
    for (const path of [`/api/patients/${own()}/chart`, `/fhir/R4/Patient/${own()}/$everything`, `/api/facts/${s.facts['problem']}/history`, `/fhir/R4/Provenance?target=Condition/${s.facts['problem']}`, `/fhir/R4/Encounter/${s.encounterId}`]) {
      const res = await as('physician', path);
      assert.equal(res.status, 200, path);
      const events = await auditOf(t, res.requestId);
      assert.equal(events.length, 1, path);
      assert.deepEqual([events[0]!.outcome, events[0]!.patient_id, events[0]!.action_code], ['success', own(), 'R'], path);
    }
  });
});

describe('system clients', () => {
  const client = (scopes: string[]): ClientSubject => ({ kind: 'client', id: '01890000-0000-7000-8000-00000000c11e', name: 'fixture-client', scopes });
  const facts = { requestId: 'client-test', clientIp: null, userAgent: null, purposeOfUse: 'TREAT' };

  it('are told 404 for an unknown id (they could see any patient), and read what their scopes allow', T, async () => {
    const service = new ChartService(t.vigil.store);
    const full = client(['system/MedicationRequest.read', 'system/Observation.read']);
    await assert.rejects(service.read(full, facts, 'Observation', MISSING), NotFoundError);
    const read = await service.read(full, facts, 'Observation', s.facts['hemoglobin']!);
    assert.equal(read['status'], 'preliminary');
    const page = await service.search(full, facts, 'Observation', parseSearch('Observation', { code: '2345-7' }));
    assert.ok(page.resources.some((r) => r.id === s.facts['otherTeamGlucose']), 'a client has no care relation: it reaches every patient');
  });

  it('without a scope that opens the chart, a client is refused with deny-scope', T, async () => {
    const service = new ChartService(t.vigil.store);
    await assert.rejects(service.read(client(['system/Patient.read']), facts, 'Condition', s.facts['problem']!), (err: unknown) => err instanceof DeniedAccess && err.reason === 'deny-scope');
  });
});

describe('what refusals and errors say', () => {
  it('answers 401 without a credential on every new route, with no data', T, async () => {
    for (const path of [`/fhir/R4/Observation/${s.facts['glucose']}`, `/fhir/R4/Observation?patient=${own()}`, `/fhir/R4/Patient/${own()}/$everything`, `/api/patients/${own()}/chart`, `/api/facts/${s.facts['glucose']}/history`, `/fhir/R4/Provenance?target=Observation/${s.facts['glucose']}`]) {
      const res = await call(t, null, path);
      assert.equal(res.status, 401, path);
    }
  });

  it('never carries a canary identity in any refusal or error body', T, async () => {
    await as('physician', '/fhir/R4/Observation?family=Vantablack-Quorrin');
    await as('physician', '/fhir/R4/Observation?date=Zephyrine');
    await as('physician', '/fhir/R4/Observation?code=MRN-CNRY-58213-QZ&code=x');
    await as('physician', `/fhir/R4/Observation?patient=${encodeURIComponent('Zephyrine Vantablack-Quorrin')}`);
    assert.ok(errorBodies.length >= 20, `only ${errorBodies.length} error bodies were collected`);
    assertNoCanaries(errorBodies);
  });
});
