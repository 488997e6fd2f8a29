import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { repoint } from '../src/core/identity/merge.ts';
import type { PossibleMatchSummary, PossibleMatchView } from '../src/core/identity/review-queue.ts';
import { buildAccessFixture, signIn, type AccessFixture } from './support/access-fixture.ts';
import { CANARIES } from './support/canaries.ts';
import { NATIONAL_ID_SYSTEM, seedPossibleMatch, SOUTH_MRN_SYSTEM, type PossibleMatchSeed } from './support/identity-seed.ts';
import { startTestVigil, type TestVigil } from './support/in-process.ts';

/**
 * The possible-match review queue through HTTP: an integration operator lists the pair the resolver held back, opens
 * it side by side, links it (the record, its result and its encounter move to the candidate patient, whose care team
 * then sees the result), undoes the link (everything returns; the pair is open again), and marks it not a match.
 * Every list, view and decision is on the audit trail against each patient involved; no refusal or error quotes a
 * patient's data.
 */
const T = { timeout: 60_000 };
let t: TestVigil;
let fixture: AccessFixture;
let seed: PossibleMatchSeed;
const tokens = new Map<string, string>();
const db = () => t.vigil.store.db;

interface Answer<B> {
  status: number;
  body: B;
  requestId: string;
}

async function call<B = Record<string, unknown>>(who: string | null, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answer<B>> {
  const headers: Record<string, string> = {};
  if (who) headers.authorization = `Bearer ${tokens.get(who)}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${t.url}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as B, requestId: res.headers.get('x-request-id') ?? '' };
}

async function auditOf(requestId: string) {
  return db().selectFrom('audit.events').select(['action', 'action_code', 'patient_id', 'outcome', 'reason_code', 'details', 'actor_id']).where('request_id', '=', requestId).execute();
}

/** A refusal or error body must never carry a canary value: only a yes or no leaves this function. */
function quotesPatient(body: unknown): boolean {
  const text = JSON.stringify(body).toLowerCase();
  return CANARIES.some((c) => text.includes(c.value.toLowerCase()));
}

before(async () => {
  t = await startTestVigil();
  fixture = await buildAccessFixture(t.vigil.store, t.vigil.config, ['integration-operator', 'nurse']);
  seed = await seedPossibleMatch(t.vigil.store, t.vigil.gateway.registry, fixture);
  for (const who of ['integration-operator', 'nurse']) tokens.set(who, await signIn(t.url, fixture.people.get(who)!));
});

after(async () => {
  await t?.close();
});

describe('the possible-match review queue', () => {
  it('lists the held pair to an integration operator, and audits the list against both patients', T, async () => {
    const res = await call<{ items: PossibleMatchSummary[]; next: string | null }>('integration-operator', 'GET', '/api/identity/possible-matches?state=open');
    assert.equal(res.status, 200);
    assert.equal(res.body.items.length, 1);
    const item = res.body.items[0]!;
    assert.deepEqual([item.id, item.state, item.rule, item.conflict, item.record.source, item.candidate.patientId], [seed.matchId, 'open', 'same-identifier', 'identifier-conflict', 'south-adt', seed.candidatePatientId]);
    assert.equal(item.candidate.records, 1, 'the candidate holds north-adt’s record');
    assert.ok(item.agree >= 5 && item.differ >= 2, 'name, birth date, sex, address and the MRN agree; the phone and the national id differ');
    assert.equal(res.body.next, null);
    const events = await auditOf(res.requestId);
    assert.deepEqual(events.filter((e) => e.action === 'identity.review.search').map((e) => [e.action_code, e.patient_id]), [['E', null]]);
    assert.deepEqual(new Set(events.filter((e) => e.action === 'identity.review.search-hit').map((e) => e.patient_id)), new Set([seed.newPatientId, seed.candidatePatientId]));

    const linked = await call<{ items: unknown[] }>('integration-operator', 'GET', '/api/identity/possible-matches?state=linked');
    assert.deepEqual([linked.status, linked.body.items.length], [200, 0]);
  });

  it('pages by cursor and refuses a cursor it did not give out', T, async () => {
    const page = await call<{ items: unknown[]; next: string | null }>('integration-operator', 'GET', '/api/identity/possible-matches?limit=1');
    assert.deepEqual([page.body.items.length, page.body.next], [1, null]);
    const bad = await call('integration-operator', 'GET', '/api/identity/possible-matches?cursor=bm90LWEtY3Vyc29y');
    assert.deepEqual([bad.status, bad.body['code']], [400, 'invalid-cursor']);
  });

  it('refuses a clinician at the gate (deny-role, audited) and anyone anonymous, without quoting a patient', T, async () => {
    for (const [method, path] of [
      ['GET', '/api/identity/possible-matches'],
      ['GET', `/api/identity/possible-matches/${seed.matchId}`],
      ['POST', `/api/identity/possible-matches/${seed.matchId}/decision`],
      ['POST', '/api/identity/link-events/1/undo'],
    ] as const) {
      const body = method === 'POST' && path.endsWith('decision') ? { decision: 'link' } : undefined;
      const nurse = await call('nurse', method, path, body);
      assert.deepEqual([nurse.status, nurse.body['reason']], [403, 'deny-role'], path);
      assert.equal(quotesPatient(nurse.body), false);
      const [event] = await auditOf(nurse.requestId);
      assert.deepEqual([event?.outcome, event?.reason_code], ['denied', 'deny-role']);
      assert.equal((await call(null, method, path, body)).status, 401, path);
    }
  });

  it('shows both sides aligned field by field, with the evidence, and audits the view against both patients', T, async () => {
    const res = await call<PossibleMatchView>('integration-operator', 'GET', `/api/identity/possible-matches/${seed.matchId}`);
    assert.equal(res.status, 200);
    const view = res.body;
    assert.deepEqual([view.record.recordId, view.record.source.name, view.record.patientId, view.candidate.livePatientId], [seed.recordId, 'south-adt', seed.newPatientId, seed.candidatePatientId]);
    assert.deepEqual([view.record.facts, view.record.encounters], [1, 1], 'the result and the encounter that would move with the record');
    assert.deepEqual(view.candidate.records.map((r) => r.source.name), ['north-adt']);
    const verdict = (field: string, system?: string) => view.comparison.find((r) => r.field === field && r.system === system)?.verdict;
    assert.deepEqual(
      [verdict('family'), verdict('given'), verdict('birthDate'), verdict('sex'), verdict('address'), verdict('phone')],
      ['same', 'same', 'same', 'same', 'same', 'different'],
    );
    assert.equal(verdict('identifier', NATIONAL_ID_SYSTEM), 'different', 'two national ids: the conflict that held the pair');
    assert.equal(verdict('identifier', SOUTH_MRN_SYSTEM), 'one-side');
    assert.equal(view.comparison.filter((r) => r.field === 'identifier' && r.verdict === 'same').length, 1, 'the shared north MRN');
    assert.deepEqual([view.evidence.rule, view.evidence.conflict, view.evidence.conflictingSystems, view.evidence.weight], ['same-identifier', 'identifier-conflict', 1, 0]);
    assert.equal(view.evidence.computed.conflict, 'identifier-conflict');
    assert.ok(view.evidence.computed.lines.some((l) => l.field === 'birthDate' && l.level === 'exact' && l.weight > 0));
    assert.equal(view.link, null);
    const events = await auditOf(res.requestId);
    assert.deepEqual(new Set(events.map((e) => `${e.action}/${e.action_code}/${e.patient_id}`)), new Set([`identity.review.read/R/${seed.newPatientId}`, `identity.review.read/R/${seed.candidatePatientId}`]));

    assert.equal((await call('integration-operator', 'GET', `/api/identity/possible-matches/${crypto.randomUUID()}`)).status, 404);
    assert.equal((await call('integration-operator', 'GET', '/api/identity/possible-matches/not-an-id')).status, 400);
  });

  it('links: the record, its result and its encounter move to the candidate, whose care team now sees the result', T, async () => {
    // The chart's results section: reports carrying their observations, and observations outside any report.
    const before = await call<{ results: { items: { id: string; observations?: { id: string }[] }[] } }>('nurse', 'GET', `/api/patients/${seed.candidatePatientId}/chart`);
    const seen = (chart: typeof before.body) => chart.results.items.flatMap((r) => [r, ...(r.observations ?? [])]).some((o) => o.id === seed.factId);
    assert.equal(seen(before.body), false, 'before the link the result is on the other patient');

    const res = await call<{ state: string; link: { eventId: string; fromPatientId: string; toPatientId: string; movedFacts: number; movedEncounters: number; leftBehind: number } }>(
      'integration-operator',
      'POST',
      `/api/identity/possible-matches/${seed.matchId}/decision`,
      { decision: 'link', note: 'Same person: south registration desk confirmed by phone' },
    );
    assert.equal(res.status, 200);
    assert.deepEqual(
      [res.body.state, res.body.link.fromPatientId, res.body.link.toPatientId, res.body.link.movedFacts, res.body.link.movedEncounters, res.body.link.leftBehind],
      ['linked', seed.newPatientId, seed.candidatePatientId, 1, 1, 0],
    );
    const record = await db().selectFrom('patient_records').select(['patient_id', 'link_reason']).where('id', '=', seed.recordId).executeTakeFirstOrThrow();
    assert.deepEqual([record.patient_id, record.link_reason], [seed.candidatePatientId, 'person']);
    assert.equal((await db().selectFrom('clinical_facts').select('patient_id').where('id', '=', seed.factId).executeTakeFirstOrThrow()).patient_id, seed.candidatePatientId);
    assert.equal((await db().selectFrom('encounters').select('patient_id').where('id', '=', seed.encounterId).executeTakeFirstOrThrow()).patient_id, seed.candidatePatientId);
    const southIds = await db().selectFrom('patient_identifiers').select('patient_id').where('system', '=', SOUTH_MRN_SYSTEM).execute();
    assert.deepEqual(southIds.map((r) => r.patient_id), [seed.candidatePatientId], 'the south MRN now finds the candidate');
    assert.equal((await db().selectFrom('patients').select('merged_into').where('id', '=', seed.newPatientId).executeTakeFirstOrThrow()).merged_into, seed.candidatePatientId, 'the emptied patient points to where its record went');
    const match = await db().selectFrom('identity_possible_matches').select(['state', 'decided_by', 'decided_at']).where('id', '=', seed.matchId).executeTakeFirstOrThrow();
    const operator = fixture.people.get('integration-operator')!;
    assert.deepEqual([match.state, match.decided_by, match.decided_at instanceof Date], ['linked', `person:${operator.id}`, true]);
    const event = await db().selectFrom('identity_link_events').selectAll().where('id', '=', res.body.link.eventId).executeTakeFirstOrThrow();
    assert.deepEqual([event.decision, event.actor, event.record_id, event.from_patient_id, event.to_patient_id], ['person-link', `person:${operator.id}`, seed.recordId, seed.newPatientId, seed.candidatePatientId]);
    assert.equal((event.evidence as { possibleMatch: string }).possibleMatch, seed.matchId);
    assert.equal(((event.evidence as { match: { rule: string } }).match).rule, 'same-identifier', 'the link keeps the evidence it was decided on');
    const events = await auditOf(res.requestId);
    assert.deepEqual(new Set(events.map((e) => `${e.action}/${e.action_code}/${e.patient_id}`)), new Set([`identity.review.link/U/${seed.newPatientId}`, `identity.review.link/U/${seed.candidatePatientId}`]));

    const after = await call<typeof before.body>('nurse', 'GET', `/api/patients/${seed.candidatePatientId}/chart`);
    assert.equal(seen(after.body), true, 'the candidate’s nurse now sees the result that came with the record');

    const again = await call('integration-operator', 'POST', `/api/identity/possible-matches/${seed.matchId}/decision`, { decision: 'not-a-match' });
    assert.deepEqual([again.status, again.body['code']], [409, 'possible-match-decided']);
    const view = await call<PossibleMatchView>('integration-operator', 'GET', `/api/identity/possible-matches/${seed.matchId}`);
    assert.deepEqual([view.body.state, view.body.link?.eventId, view.body.link?.undone, view.body.decidedBy?.name], ['linked', res.body.link.eventId, false, `Fixture ${operator.username}`]);
  });

  it('undoes the link from its event: everything returns, the pair is open again, and a second undo is refused', T, async () => {
    const view = await call<PossibleMatchView>('integration-operator', 'GET', `/api/identity/possible-matches/${seed.matchId}`);
    const eventId = view.body.link!.eventId;
    const res = await call<{ restoredToPatientId: string; leftPatientId: string; possibleMatchId: string; unlinkEventId: string }>('integration-operator', 'POST', `/api/identity/link-events/${eventId}/undo`);
    assert.equal(res.status, 200);
    assert.deepEqual([res.body.restoredToPatientId, res.body.leftPatientId, res.body.possibleMatchId], [seed.newPatientId, seed.candidatePatientId, seed.matchId]);
    const record = await db().selectFrom('patient_records').select(['patient_id', 'link_reason']).where('id', '=', seed.recordId).executeTakeFirstOrThrow();
    assert.deepEqual([record.patient_id, record.link_reason], [seed.newPatientId, 'new-patient']);
    assert.equal((await db().selectFrom('clinical_facts').select('patient_id').where('id', '=', seed.factId).executeTakeFirstOrThrow()).patient_id, seed.newPatientId);
    assert.equal((await db().selectFrom('encounters').select('patient_id').where('id', '=', seed.encounterId).executeTakeFirstOrThrow()).patient_id, seed.newPatientId);
    assert.equal((await db().selectFrom('patients').select('merged_into').where('id', '=', seed.newPatientId).executeTakeFirstOrThrow()).merged_into, null);
    const southIds = await db().selectFrom('patient_identifiers').select('patient_id').where('system', '=', SOUTH_MRN_SYSTEM).execute();
    assert.deepEqual(southIds.map((r) => r.patient_id), [seed.newPatientId]);
    const match = await db().selectFrom('identity_possible_matches').select(['state', 'decided_by']).where('id', '=', seed.matchId).executeTakeFirstOrThrow();
    assert.deepEqual([match.state, match.decided_by], ['open', null]);
    const unlink = await db().selectFrom('identity_link_events').select(['decision', 'undoes', 'from_patient_id', 'to_patient_id']).where('id', '=', res.body.unlinkEventId).executeTakeFirstOrThrow();
    assert.deepEqual([unlink.decision, unlink.undoes, unlink.from_patient_id, unlink.to_patient_id], ['person-unlink', eventId, seed.candidatePatientId, seed.newPatientId]);
    const events = await auditOf(res.requestId);
    assert.deepEqual(new Set(events.map((e) => `${e.action}/${e.patient_id}`)), new Set([`identity.review.unlink/${seed.newPatientId}`, `identity.review.unlink/${seed.candidatePatientId}`]));

    const twice = await call('integration-operator', 'POST', `/api/identity/link-events/${eventId}/undo`);
    assert.deepEqual([twice.status, twice.body['code']], [409, 'link-already-undone']);
    assert.equal((await call('integration-operator', 'POST', '/api/identity/link-events/999999/undo')).status, 404);
    const after = await call<PossibleMatchView>('integration-operator', 'GET', `/api/identity/possible-matches/${seed.matchId}`);
    assert.deepEqual([after.body.state, after.body.link?.undone], ['open', true]);
  });

  it('refuses to undo a link when the record has moved since, rather than undoing that move too', T, async () => {
    const linked = await call<{ link: { eventId: string } }>('integration-operator', 'POST', `/api/identity/possible-matches/${seed.matchId}/decision`, { decision: 'link' });
    assert.equal(linked.status, 200);
    const elsewhere = fixture.patients['other-team'].id;
    await repoint(db(), seed.recordId, elsewhere);
    const res = await call('integration-operator', 'POST', `/api/identity/link-events/${linked.body.link.eventId}/undo`);
    assert.deepEqual([res.status, res.body['code']], [409, 'record-moved-since']);
    assert.equal(quotesPatient(res.body), false);
    // Put the record back where the link left it and undo for real, so the next test starts from the open pair.
    await repoint(db(), seed.recordId, seed.candidatePatientId);
    assert.equal((await call('integration-operator', 'POST', `/api/identity/link-events/${linked.body.link.eventId}/undo`)).status, 200);
  });

  it('marks a pair not a match: who and when are recorded, nothing moves, and the pair cannot then be linked', T, async () => {
    const res = await call<{ state: string }>('integration-operator', 'POST', `/api/identity/possible-matches/${seed.matchId}/decision`, { decision: 'not-a-match', note: 'Different people: twins' });
    assert.deepEqual([res.status, res.body.state], [200, 'not-a-match']);
    const match = await db().selectFrom('identity_possible_matches').select(['state', 'decided_by', 'decided_at']).where('id', '=', seed.matchId).executeTakeFirstOrThrow();
    assert.deepEqual([match.state, match.decided_by, match.decided_at instanceof Date], ['not-a-match', `person:${fixture.people.get('integration-operator')!.id}`, true]);
    assert.equal((await db().selectFrom('patient_records').select('patient_id').where('id', '=', seed.recordId).executeTakeFirstOrThrow()).patient_id, seed.newPatientId);
    const events = await auditOf(res.requestId);
    assert.deepEqual(new Set(events.map((e) => `${e.action}/${e.patient_id}`)), new Set([`identity.review.not-a-match/${seed.newPatientId}`, `identity.review.not-a-match/${seed.candidatePatientId}`]));
    assert.equal((events[0]!.details as { note?: string }).note, 'Different people: twins');

    const link = await call('integration-operator', 'POST', `/api/identity/possible-matches/${seed.matchId}/decision`, { decision: 'link' });
    assert.deepEqual([link.status, link.body['code']], [409, 'possible-match-decided']);
    const decided = await call<{ items: PossibleMatchSummary[] }>('integration-operator', 'GET', '/api/identity/possible-matches?state=not-a-match');
    assert.deepEqual(decided.body.items.map((i) => [i.id, i.decidedBy?.id]), [[seed.matchId, `person:${fixture.people.get('integration-operator')!.id}`]]);
    assert.equal((await call('integration-operator', 'GET', '/api/identity/possible-matches?state=open')).body['items'] instanceof Array, true);
    const invalid = await call('integration-operator', 'POST', `/api/identity/possible-matches/${seed.matchId}/decision`, { decision: 'merge' });
    assert.equal(invalid.status, 400);
  });
});
