import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { linkRecords, repoint } from '../../src/core/identity/merge.ts';
import { buildAccessFixture, type AccessFixture } from '../support/access-fixture.ts';
import { assertChromiumInstalled, openBrowser, type BrowserSession } from '../support/browser.ts';
import { NATIONAL_ID_SYSTEM, seedPossibleMatch, SOUTH_MRN_SYSTEM, type PossibleMatchSeed } from '../support/identity-seed.ts';
import { startTestVigil, type TestVigil } from '../support/in-process.ts';
import { waitFor } from '../support/wait.ts';
import { assertPageHealthy, assertText, signInThroughForm, WAIT_MS } from './screens-support.ts';

/**
 * The possible-match review queue as an identity reviewer (an integration operator) works it: the queue, one pair
 * side by side with agreement in words and signs, the evidence, a link behind its confirmation (the record and its
 * result and encounter move; the database says so), its undo, and "not a match". A nurse has no way in. The pair is
 * the canary patient, so the test never prints page text.
 */
let t: TestVigil;
let fixture: AccessFixture;
let seed: PossibleMatchSeed;
const db = () => t.vigil.store.db;

async function recordPatient(): Promise<string> {
  return (await db().selectFrom('patient_records').select('patient_id').where('id', '=', seed.recordId).executeTakeFirstOrThrow()).patient_id;
}

describe('the possible-match review queue', () => {
  let browser: BrowserSession;
  let nurseBrowser: BrowserSession;

  before(async () => {
    assertChromiumInstalled();
    t = await startTestVigil();
    fixture = await buildAccessFixture(t.vigil.store, t.vigil.config, ['integration-operator', 'nurse']);
    seed = await seedPossibleMatch(t.vigil.store, t.vigil.gateway.registry, fixture);
    browser = await openBrowser();
    nurseBrowser = await openBrowser();
  });

  after(async () => {
    await browser?.close();
    await nurseBrowser?.close();
    await t?.close();
  });

  test('a reviewer compares a pair, links it behind a confirmation, undoes the link, then marks it not a match', { timeout: 180_000 }, async () => {
    const { page } = browser;
    const operator = fixture.people.get('integration-operator')!;
    await signInThroughForm(browser, t.url, operator, { totp: true });
    await page.getByRole('heading', { level: 1, name: 'Feeds' }).waitFor({ timeout: WAIT_MS });

    // The queue: one pair waiting, with why it waits and how many fields agree.
    await page.getByRole('navigation', { name: 'Integration' }).getByRole('link', { name: 'Possible matches' }).click();
    await page.getByRole('heading', { level: 1, name: 'Possible matches' }).waitFor({ timeout: WAIT_MS });
    const queue = page.getByTestId('matches');
    await queue.waitFor({ timeout: WAIT_MS });
    const pair = queue.locator(`tr[data-match="${seed.matchId}"]`);
    await assertText(pair, /from south-adt[\s\S]*Conflicting identifier[\s\S]*\d+ agree[\s\S]*[1-9]\d* differ/, 'the row names the source, why it waits and the tally');
    await assertText(page.getByTestId('matches-status'), /Page 1: 1 pair\./, 'the count is announced');
    await browser.screenshot('identity-queue');

    // One pair side by side: every row says in words whether the two agree.
    await pair.getByRole('link', { name: /^Compare / }).click();
    await page.getByRole('heading', { level: 1, name: 'Compare two records' }).waitFor({ timeout: WAIT_MS });
    const comparison = page.getByTestId('comparison');
    await comparison.waitFor({ timeout: WAIT_MS });
    const verdictOf = async (field: string, system = '') => comparison.locator(`tr[data-field="${field}"][data-system="${system}"]`).getAttribute('data-verdict');
    assert.deepEqual(
      [await verdictOf('family'), await verdictOf('given'), await verdictOf('birthDate'), await verdictOf('sex'), await verdictOf('address'), await verdictOf('phone')],
      ['same', 'same', 'same', 'same', 'same', 'different'],
    );
    assert.equal(await verdictOf('identifier', NATIONAL_ID_SYSTEM), 'different');
    assert.equal(await verdictOf('identifier', SOUTH_MRN_SYSTEM), 'one-side');
    await assertText(comparison.locator(`tr[data-system="${NATIONAL_ID_SYSTEM}"]`), /SSN[\s\S]*NID-222-22[\s\S]*✗ Different[\s\S]*same issuer, different number[\s\S]*NID-111-11/, 'the conflicting national ids, side by side, in words');
    await assertText(comparison.locator('tr[data-field="phone"]'), /✗ Different/, 'the phone differs, with its sign');
    await assertText(comparison.locator('tr[data-field="family"]'), /✓ Same/, 'the name agrees, with its sign');
    await assertText(page.getByTestId('held-because'), /Waiting for review[\s\S]*One issuer gives one person one number/, 'why the index held the pair, in words');
    await assertText(page.getByTestId('evidence'), /identifier rule[\s\S]*Scored now[\s\S]*Thresholds[\s\S]*Birth date\s+identical\s+\+\d/i, 'the weight, the thresholds and the evidence field by field');
    await assertText(page.getByTestId('arrived-record'), /south-adt[\s\S]*S-0077[\s\S]*made a new patient[\s\S]*1 entry, 1 encounter/, 'what the record would bring with it');
    await browser.screenshot('identity-compare');

    // Link, behind a confirmation that says what moves; cancelling changes nothing.
    const decision = page.getByTestId('decision');
    await decision.getByRole('button', { name: 'Link to this patient…' }).click();
    await assertText(page.getByTestId('confirm'), /Its 1 clinical entry and 1 encounter move with it[\s\S]*keeps nothing[\s\S]*undo/, 'the confirmation says what moves and that it can be undone');
    await decision.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await recordPatient(), seed.newPatientId, 'cancelling moved nothing');
    await decision.getByRole('button', { name: 'Link to this patient…' }).click();
    await page.getByLabel('Note (optional)').fill('South registration desk confirmed by phone');
    await browser.screenshot('identity-link-confirm');
    await decision.getByRole('button', { name: 'Link them', exact: true }).click();
    await assertText(page.getByTestId('decision-answer'), /^Linked\. The record from south-adt now belongs to [\s\S]*with its 1 clinical entry and 1 encounter\. The patient it left now points there\. You can undo this below\.$/, 'the answer says what happened');
    assert.equal(await page.getByTestId('decision-answer').evaluate((el) => el === document.activeElement), true, 'focus moves to the answer, where Undo is');
    await waitFor('the page to show the pair linked', async () => (await decision.getAttribute('data-state')) === 'linked');
    assert.equal(await recordPatient(), seed.candidatePatientId, 'the record now belongs to the candidate');
    assert.equal((await db().selectFrom('clinical_facts').select('patient_id').where('id', '=', seed.factId).executeTakeFirstOrThrow()).patient_id, seed.candidatePatientId, 'its result moved with it');
    const linkEvent = await db().selectFrom('identity_link_events').select(['decision', 'actor', 'evidence']).where('record_id', '=', seed.recordId).where('decision', '=', 'person-link').executeTakeFirstOrThrow();
    assert.deepEqual([linkEvent.actor, (linkEvent.evidence as { note?: string }).note], [`person:${operator.id}`, 'South registration desk confirmed by phone']);
    await assertText(decision, /Linked by you on/, 'who linked it: you');
    await browser.screenshot('identity-linked');

    // Undo: everything goes back, and the pair waits again.
    await decision.getByRole('button', { name: 'Undo link' }).click();
    await assertText(page.getByTestId('decision-answer'), /^Link undone\. The record from south-adt is back with the patient it came from, and the pair is waiting for review again\.$/, 'the undo is confirmed in words');
    await waitFor('the page to show the pair open again', async () => (await decision.getAttribute('data-state')) === 'open');
    assert.equal(await recordPatient(), seed.newPatientId, 'the record is back with its own patient');
    assert.equal((await db().selectFrom('clinical_facts').select('patient_id').where('id', '=', seed.factId).executeTakeFirstOrThrow()).patient_id, seed.newPatientId, 'and its result');
    await assertText(page.getByTestId('match-state'), /Waiting for review/, 'the pair waits again');
    await browser.screenshot('identity-undone');

    // Not a match: nothing moves, the pair leaves the queue and is listed among the decided ones.
    await decision.getByRole('button', { name: 'Not a match…' }).click();
    await assertText(page.getByTestId('confirm'), /two different people[\s\S]*Nothing moves/i, 'the confirmation says nothing moves');
    await decision.getByRole('button', { name: 'Not a match', exact: true }).click();
    await assertText(page.getByTestId('decision-answer'), /Marked not a match/, 'the answer says so');
    await waitFor('the page to show the decision', async () => (await decision.getAttribute('data-state')) === 'not-a-match');
    const match = await db().selectFrom('identity_possible_matches').select(['state', 'decided_by']).where('id', '=', seed.matchId).executeTakeFirstOrThrow();
    assert.deepEqual([match.state, match.decided_by], ['not-a-match', `person:${operator.id}`]);
    assert.equal(await recordPatient(), seed.newPatientId);
    await page.getByRole('link', { name: 'Back to the queue' }).click();
    await assertText(page.getByTestId('matches-status'), /No pair is waiting for review\./, 'the queue is empty');
    await page.getByRole('button', { name: 'Not a match' }).click();
    await queue.waitFor({ timeout: WAIT_MS });
    await assertText(queue.locator(`tr[data-match="${seed.matchId}"]`), /by Fixture integration-operator[\s\S]*Not a match/, 'the decided pair is listed with who decided');
    assert.match(page.url(), /#\/integration\/possible-matches\?state=not-a-match$/, 'the tab is in the address');
    await browser.screenshot('identity-decided');

    const audited = await db().selectFrom('audit.events').select(['action', 'patient_id']).where('actor_id', '=', operator.id).where('action', 'like', 'identity.review.%').execute();
    for (const action of ['identity.review.search-hit', 'identity.review.read', 'identity.review.link', 'identity.review.unlink', 'identity.review.not-a-match']) {
      assert.deepEqual(new Set(audited.filter((e) => e.action === action).map((e) => e.patient_id)), new Set([seed.newPatientId, seed.candidatePatientId]), `${action} is audited against both patients`);
    }
    // The one expected console error is the browser's note on the sign-in's `mfa_required` 401.
    assertPageHealthy(browser, [401]);
  });

  test('an operator splits a wrongly linked record off from the identity history, then undoes the split', { timeout: 180_000 }, async () => {
    const { page } = browser;
    // As if the index had linked the south record to the candidate on its own.
    await t.vigil.store.tx((trx) => repoint(trx, seed.recordId, seed.candidatePatientId));
    await page.goto(`${t.url}/#/integration/identity/patients/${seed.candidatePatientId}`);
    await page.getByRole('heading', { level: 1, name: 'Identity of one patient' }).waitFor({ timeout: WAIT_MS });
    const records = page.getByTestId('history-records');
    await records.waitFor({ timeout: WAIT_MS });
    const south = records.locator(`tr[data-record="${seed.recordId}"]`);
    await assertText(south, /south-adt[\s\S]*S-0077[\s\S]*1 entry, 1 encounter/, 'the south record is listed with what it brought');
    await assertText(page.getByTestId('history-events'), /New patient made for the record/, 'the decisions are listed');
    await browser.screenshot('identity-history');

    await south.getByRole('button', { name: 'Split off…' }).click();
    const confirm = page.getByTestId('history-confirm');
    await assertText(confirm, /Split the record from south-adt off into a new patient\?[\s\S]*move with it/, 'the confirmation says what moves');
    assert.equal(await confirm.getByRole('button', { name: 'Split off', exact: true }).isDisabled(), true, 'no split without a reason');
    await page.getByLabel('Reason').fill('South registration belongs to a namesake');
    await browser.screenshot('identity-split-confirm');
    await confirm.getByRole('button', { name: 'Split off', exact: true }).click();
    await assertText(page.getByTestId('history-answer'), /^Split\./, 'the answer says what happened');
    const moved = await recordPatient();
    assert.notEqual(moved, seed.candidatePatientId, 'the record left the candidate');
    assert.equal((await db().selectFrom('clinical_facts').select('patient_id').where('id', '=', seed.factId).executeTakeFirstOrThrow()).patient_id, moved, 'its result went with it');

    const splitRow = page.getByTestId('history-events').locator('tr[data-decision="person-split"]');
    await assertText(splitRow, /Split off by a person[\s\S]*South registration belongs to a namesake[\s\S]*you/, 'the split is listed with its reason and who made it');
    await splitRow.getByRole('button', { name: 'Undo split…' }).click();
    await page.getByLabel('Reason').fill('Namesake ruled out');
    await page.getByTestId('history-confirm').getByRole('button', { name: 'Undo split', exact: true }).click();
    await assertText(page.getByTestId('history-answer'), /^Split undone\./, 'the undo is confirmed');
    assert.equal(await recordPatient(), seed.candidatePatientId, 'the record is back');
    await browser.screenshot('identity-split-undone');
    const audited = await db().selectFrom('audit.events').select(['action', 'patient_id']).where('action', 'in', ['identity.split', 'identity.unsplit', 'identity.history.read']).execute();
    assert.deepEqual(new Set(audited.filter((e) => e.action === 'identity.split').map((e) => e.patient_id)), new Set([seed.candidatePatientId, moved]));
    assert.ok(audited.some((e) => e.action === 'identity.history.read' && e.patient_id === seed.candidatePatientId));
    assertPageHealthy(browser, [401]);
  });

  test('an operator undoes a link its source stated (ADT A24) from the identity history', { timeout: 180_000 }, async () => {
    const { page } = browser;
    // As an A24 from the source does: the south record's patient joins the candidate, both records stay live.
    await t.vigil.store.tx(async (trx) => {
      await repoint(trx, seed.recordId, seed.newPatientId);
      await linkRecords(trx, { firstRecordId: seed.northRecordId, secondRecordId: seed.recordId, sourceTime: new Date('2024-03-05T08:00:00Z'), actor: 'test', messageId: null });
    });
    assert.equal(await recordPatient(), seed.candidatePatientId);
    // The page is still on this patient's history from the test before: load it afresh.
    await page.goto(`${t.url}/#/integration/identity/patients/${seed.candidatePatientId}`);
    await page.reload();
    const linkRow = page.getByTestId('history-events').locator('tr[data-decision="source-link"]');
    await linkRow.waitFor({ timeout: WAIT_MS });
    await assertText(linkRow, /Linked by its source/, 'the source’s link is listed in words');
    await linkRow.getByRole('button', { name: 'Undo link…' }).click();
    const confirm = page.getByTestId('history-confirm');
    await assertText(confirm, /Undo the link south-adt sent\?[\s\S]*both records stay live/, 'the confirmation says what goes back');
    assert.equal(await confirm.getByRole('button', { name: 'Undo link', exact: true }).isDisabled(), true, 'no undo without a reason');
    await page.getByLabel('Reason').fill('The A24 named the wrong patient');
    await browser.screenshot('identity-source-link-confirm');
    await confirm.getByRole('button', { name: 'Undo link', exact: true }).click();
    await assertText(page.getByTestId('history-answer'), /^Link undone\./, 'the answer says what happened');
    assert.equal(await recordPatient(), seed.newPatientId, 'the south record is back with its own patient');
    await assertText(page.getByTestId('history-events').locator('tr[data-decision="person-unlink-source"]').first(), /Source link undone by a person/, 'the undo is in the history');
    await browser.screenshot('identity-source-link-undone');
    assertPageHealthy(browser, [401]);
  });

  test('a nurse has no way into the queue', { timeout: 120_000 }, async () => {
    const { page } = nurseBrowser;
    await signInThroughForm(nurseBrowser, t.url, fixture.people.get('nurse')!, { totp: false });
    assert.deepEqual(await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allInnerTexts(), ['Patients', 'System']);
    await page.goto(`${t.url}/#/integration/possible-matches/${seed.matchId}`);
    await page.getByRole('heading', { level: 1, name: 'Not part of your role' }).waitFor({ timeout: WAIT_MS });
    assertPageHealthy(nurseBrowser);
  });
});
