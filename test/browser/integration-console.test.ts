import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { RawMllpClient } from '../support/raw-mllp-client.ts';
import { buildAccessFixture, type FixturePerson } from '../support/access-fixture.ts';
import { assertChromiumInstalled, openBrowser, type BrowserSession } from '../support/browser.ts';
import { CANARY_PATIENT } from '../support/canaries.ts';
import { adt, LAB, NORTH, oru, PERSON_1, PERSON_2 } from '../support/hl7-builder.ts';
import { startTestVigil, type TestVigil } from '../support/in-process.ts';
import { sendForAck } from '../support/mllp-send.ts';
import { waitFor } from '../support/wait.ts';
import { assertPageHealthy, assertText, signInThroughForm, WAIT_MS } from './screens-support.ts';

/**
 * The integration operator's console: the feeds dashboard (a stale feed, backlog counts that open the message list),
 * the message browser (filters, reprocess a selection), one message (masked structure, reveal for a reason, reprocess,
 * corrected copy and the links between copy and original), and sources (register one, replay one). The messages carry
 * the canary patients: the page must not show their names before a reveal, and the test never prints page text.
 */
const STRANGER = { app: 'SOUTHADT', facility: 'SOUTH' };
const REASON = 'Ticket INC-4411: which system sends as SOUTHADT';

let t: TestVigil;
let operator: FixturePerson;
let client: RawMllpClient;
const db = () => t.vigil.store.db;

async function send(message: string): Promise<string> {
  return (await sendForAck(client, message)).get('MSA-1')!;
}

async function stateOf(control: string): Promise<string | undefined> {
  const row = await db().selectFrom('gateway_messages').select('state').where('control_id', '=', control).where('corrects', 'is', null).executeTakeFirst();
  return row?.state;
}

const settled = (control: string, state: string) => waitFor(`${control} to be ${state}`, async () => (await stateOf(control)) === state);

/** The page's HTML holds a canary value; only a yes or no ever leaves this function. */
async function pageShows(page: Page, value: string): Promise<boolean> {
  return (await page.content()).includes(value);
}

/** Waits until the message table answers the current address and has `n` rows. */
async function rows(page: Page, n: number): Promise<void> {
  const table = page.locator('[data-testid="messages"][data-state="ok"]');
  await table.waitFor({ timeout: WAIT_MS });
  await waitFor(`${n} message rows`, async () => (await table.locator('tbody tr').count()) === n);
}

async function openMessage(page: Page, control: string): Promise<void> {
  await page.locator(`tr[data-control="${control}"]`).getByRole('link').click();
  await page.getByTestId('masked-structure').waitFor({ timeout: WAIT_MS });
}

async function reveal(page: Page, reason: string): Promise<void> {
  await page.getByRole('button', { name: 'Reveal content…' }).click();
  await page.getByLabel('Why do you need to see the content?').fill(reason);
  await page.getByRole('button', { name: 'Reveal', exact: true }).click();
  await page.getByTestId('revealed-banner').waitFor({ timeout: WAIT_MS });
}

describe('integration operator console', () => {
  let browser: BrowserSession;

  before(async () => {
    assertChromiumInstalled();
    // Feed checks every half second, so the silent feed is marked stale (with its "since") before the browser looks.
    t = await startTestVigil({ overrides: { VIGIL_GATEWAY_FRESHNESS_CHECK_MS: '500' } });
    const fixture = await buildAccessFixture(t.vigil.store, t.vigil.config, ['integration-operator']);
    operator = fixture.people.get('integration-operator')!;
    const actor = { actorName: 'test' };
    await t.vigil.store.tx(async (trx) => {
      const registry = t.vigil.gateway.registry;
      await registry.add(trx, { name: 'north-adt', kind: 'hl7v2', msh3: NORTH.app, msh4: NORTH.facility, profile: { cadence: { everyMinutes: 60 }, requireSegmentTerminator: true } }, actor);
      await registry.add(trx, { name: 'north-lab', kind: 'hl7v2', msh3: LAB.app, msh4: LAB.facility }, actor);
      await registry.add(trx, { name: 'south-rx', kind: 'hl7v2', msh3: 'SOUTHRX', msh4: 'SOUTH', profile: { cadence: { everyMinutes: 5 } } }, actor);
    });
    client = await RawMllpClient.connect(t.vigil.mllpPort()!);

    assert.equal(await send(adt(NORTH, 'A01', PERSON_1, 'C-OK-1', '20240301080000')), 'AA');
    assert.equal(await send(oru(LAB, PERSON_2, 'C-ORU-1', '20240302090000', 'ORD-77', [{ code: '2093-3', name: 'Cholesterol', value: '182', unit: 'mg/dL', status: 'F' }])), 'AA');
    assert.equal(await send(adt(NORTH, 'A08', PERSON_1, 'C-CUT-1', '20240306080000').slice(0, -1)), 'AR', 'a cut message is refused');
    assert.equal(await send(adt(STRANGER, 'A28', PERSON_1, 'C-STRANGER-1', '20240305080000')), 'AR', 'an unregistered sender is refused');
    await settled('C-OK-1', 'processed');
    await settled('C-ORU-1', 'parked');
    await settled('C-CUT-1', 'quarantined');
    await settled('C-STRANGER-1', 'quarantined');
    await waitFor('south-rx to be marked stale', async () => {
      const feed = await db().selectFrom('gateway_feeds as f').innerJoin('gateway_sources as s', 's.id', 'f.source_id').select('f.stale_since').where('s.name', '=', 'south-rx').executeTakeFirst();
      return Boolean(feed?.stale_since);
    });
    browser = await openBrowser();
  });

  after(async () => {
    await browser?.close();
    client?.destroy();
    await t?.close();
  });

  test('watches the feeds, finds the quarantined messages, reveals one for a reason, registers its sender, reprocesses it, corrects a cut message and replays a source', { timeout: 180_000 }, async () => {
    const { page } = browser;
    await signInThroughForm(browser, t.url, operator, { totp: true });

    // An integration operator lands on the feeds dashboard; the navigation holds Integration and System only.
    await page.getByRole('heading', { level: 1, name: 'Feeds' }).waitFor({ timeout: WAIT_MS });
    assert.deepEqual(await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allInnerTexts(), ['Integration', 'System']);
    const feeds = page.getByTestId('feeds');
    await feeds.waitFor({ timeout: WAIT_MS });
    assert.equal(await feeds.locator('tbody tr').first().getAttribute('data-source'), 'south-rx', 'the stale feed comes first');
    const southRx = feeds.locator('tr[data-source="south-rx"]');
    assert.equal(await southRx.getAttribute('data-stale'), 'true');
    await assertText(southRx.getByTestId('stale'), /Stale\s+since \d/i, 'the stale feed says STALE and since when');
    await assertText(page.getByTestId('feeds-verdict'), /1 stale/, 'the summary counts the stale feed');
    await assertText(feeds.locator('tr[data-source="north-adt"]'), /On time/, 'a feed within its cadence is on time');
    await assertText(feeds.locator('tr[data-source="north-lab"]'), /Not watched/, 'a feed without a cadence is not watched');
    assert.equal(await feeds.getByRole('link', { name: '1 message parked from north-lab' }).count(), 1, 'the parked result is counted on its feed');
    await browser.screenshot('integration-feeds');

    // The quarantined count opens the message list filtered to that feed and state.
    await feeds.getByRole('link', { name: '1 message quarantined from north-adt' }).click();
    await page.getByRole('heading', { level: 1, name: 'Messages' }).waitFor({ timeout: WAIT_MS });
    assert.match(page.url(), /#\/integration\/messages\?source=north-adt&state=quarantined$/, 'the filter is in the address');
    await rows(page, 1);
    assert.equal(await page.locator('tr[data-control="C-CUT-1"]').count(), 1);
    await assertText(page.locator('tr[data-control="C-CUT-1"]'), /Quarantined[\s\S]*Cut off \(truncated\)/, 'the row says quarantined, and why in words');

    // Every quarantined message, whichever source; reprocess both: the one from the unregistered sender is skipped.
    await page.getByLabel('Source', { exact: true }).selectOption('');
    await page.getByRole('button', { name: 'Show messages' }).click();
    await waitFor('the address to lose the source', async () => /messages\?state=quarantined$/.test(page.url()));
    await rows(page, 2);
    await browser.screenshot('integration-messages');
    await page.getByLabel('Select every message on this page').check();
    await assertText(page.getByTestId('selected-count'), /^2 messages selected$/, 'both rows are selected');
    await page.getByRole('button', { name: 'Reprocess selected' }).click();
    await assertText(page.getByTestId('reprocess-answer'), /Queued 1 message to be worked again\. Skipped 1 because the sender is not a registered source/, 'the answer says what was queued and what was skipped, in words');
    await settled('C-CUT-1', 'quarantined');
    await browser.screenshot('integration-messages-reprocessed');

    // The unregistered sender's message: state and reason in words, the structure with every value hidden.
    await page.goto(`${t.url}/#/integration/messages?source=unregistered&state=quarantined`);
    await rows(page, 1);
    await openMessage(page, 'C-STRANGER-1');
    const why = page.getByTestId('why-here');
    assert.equal(await why.getAttribute('data-reason'), 'unregistered-source');
    await assertText(why, /Quarantined[\s\S]*Register the sender under Sources/, 'the page says why the message is here and what to do');
    await assertText(page.getByTestId('masked-structure'), /^1\s+MSH\|\^~\\&\|SOUTHADT\|SOUTH\|[\s\S]*PID\|▒1\|\|▒\d+/, 'one segment per line, MSH as sent, PID values hidden');
    for (const [what, value] of Object.entries({ family: CANARY_PATIENT.family, given: CANARY_PATIENT.given, mrn: CANARY_PATIENT.mrn, phone: CANARY_PATIENT.phoneDigits })) {
      assert.equal(await pageShows(page, value), false, `the canary patient's ${what} is not on the page before a reveal`);
    }
    await assertText(page.getByTestId('timeline'), /Received and quarantined\s+MLLP listener[\s\S]*reason: Sender not registered/, 'the timeline says when, what and who');
    await browser.screenshot('integration-message-masked');

    // A reason under ten characters is refused on the page; a real one reveals the content, audited.
    await page.getByRole('button', { name: 'Reveal content…' }).click();
    await page.getByLabel('Why do you need to see the content?').fill('look');
    await page.getByRole('button', { name: 'Reveal', exact: true }).click();
    await assertText(page.getByTestId('reveal'), /at least 10 characters/, 'a short reason is refused before anything is sent');
    await page.getByLabel('Why do you need to see the content?').fill(REASON);
    await page.getByRole('button', { name: 'Reveal', exact: true }).click();
    await page.getByTestId('revealed-banner').waitFor({ timeout: WAIT_MS });
    await assertText(page.getByTestId('revealed-banner'), /^Revealed for: Ticket INC-4411: which system sends as SOUTHADT — this view is audited$/, 'the banner names the reason and says the view is audited');
    assert.equal(await pageShows(page, CANARY_PATIENT.family), true, 'the revealed content holds the patient’s name');
    assert.equal(await page.getByRole('button', { name: 'Submit corrected copy…' }).isDisabled(), true, 'no corrected copy while the sender is unregistered');
    await browser.screenshot('integration-message-revealed');
    const reveals = await db().selectFrom('audit.events').select(['details', 'actor_id']).where('action', '=', 'gateway.message.reveal').execute();
    assert.ok(reveals.some((e) => e.actor_id === operator.id && (e.details as { reason?: string }).reason === REASON), 'the reveal is audited with its reason');
    await page.getByRole('button', { name: 'Hide content' }).click();
    assert.equal(await pageShows(page, CANARY_PATIENT.family), false, 'Hide drops the content from the page');

    // Register the sender, then reprocess its message from the list the confirmation links to.
    await page.getByRole('navigation', { name: 'Integration' }).getByRole('link', { name: 'Sources' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sources' }).waitFor({ timeout: WAIT_MS });
    await page.getByLabel('Name', { exact: true }).fill('south-adt');
    await page.getByLabel('MSH-3 sending application').fill(STRANGER.app);
    await page.getByLabel('MSH-4 sending facility').fill(STRANGER.facility);
    await page.getByRole('button', { name: 'Register source' }).click();
    await assertText(page.getByTestId('registered'), /Registered south-adt \(profile v1\)/, 'the registration is confirmed with its profile version');
    await assertText(page.getByTestId('sources').locator('tr[data-source="south-adt"]'), /SOUTHADT \/ SOUTH[\s\S]*v1[\s\S]*Enabled/, 'the new source is listed with its identity and profile version');
    await browser.screenshot('integration-sources');
    await page.getByRole('link', { name: 'reprocess them from the message list' }).click();
    await rows(page, 1);
    await openMessage(page, 'C-STRANGER-1');
    await page.getByTestId('reprocess').getByRole('button', { name: 'Reprocess' }).click();
    await assertText(page.getByTestId('reprocess-answer'), /Queued 1 message to be worked again/, 'the message is queued');
    await waitFor('the page to show the message processed', async () => (await why.getAttribute('data-state')) === 'processed');
    assert.equal(await stateOf('C-STRANGER-1'), 'processed');
    await assertText(page.getByTestId('timeline'), /Reprocess requested\s+You[\s\S]*Processed/, 'the timeline shows who asked for the reprocess and the outcome');
    assert.equal(await page.getByTestId('message-summary').locator('dd').nth(1).innerText(), 'south-adt', 'the message now belongs to the registered source');
    await browser.screenshot('integration-message-reprocessed');

    // The cut message: reveal it, submit a corrected copy (the missing terminator restored), and follow the links.
    await page.goto(`${t.url}/#/integration/messages?state=quarantined&source=north-adt`);
    await rows(page, 1);
    await openMessage(page, 'C-CUT-1');
    await reveal(page, 'Ticket INC-4412: cut ADT from NORTHADT');
    await page.getByRole('button', { name: 'Submit corrected copy…' }).click();
    const copyText = await page.getByLabel('Corrected copy', { exact: true }).inputValue();
    assert.ok(copyText.startsWith('MSH|') && copyText.includes('\nPID|'), 'the copy starts from the revealed content, one segment per line');
    await browser.screenshot('integration-message-correcting');
    await page.getByRole('button', { name: 'Submit corrected copy', exact: true }).click();
    await page.getByRole('link', { name: 'Open the original' }).waitFor({ timeout: WAIT_MS });
    await waitFor('the copy to be processed', async () => (await page.getByTestId('why-here').getAttribute('data-state')) === 'processed');
    assert.equal(await pageShows(page, CANARY_PATIENT.family), false, 'revealed content does not follow you to the copy');
    await assertText(page.getByTestId('message-summary'), /Operator \(corrected copy\)/, 'the copy says it came from an operator');
    await browser.screenshot('integration-message-corrected');
    await page.getByRole('link', { name: 'Open the original' }).click();
    await page.getByRole('link', { name: 'Open the corrected copy' }).waitFor({ timeout: WAIT_MS });
    await waitFor('the original to show it was superseded', async () => (await page.getByTestId('why-here').getAttribute('data-reason')) === 'superseded');
    assert.equal(await page.getByTestId('reprocess').getByRole('button', { name: 'Reprocess' }).isDisabled(), true, 'a superseded original cannot be reprocessed');
    await assertText(page.getByTestId('timeline'), /Corrected copy submitted\s+You/, 'the original’s timeline records the correction');

    // Replay north-adt over the last hour, behind a confirmation naming the source, range and profile.
    await page.getByRole('navigation', { name: 'Integration' }).getByRole('link', { name: 'Sources' }).click();
    const replay = page.getByTestId('replay');
    await replay.getByLabel('Source', { exact: true }).selectOption('north-adt');
    await replay.getByRole('button', { name: 'Replay…' }).click();
    await assertText(replay.getByRole('group', { name: 'Confirm: replay a source' }), /every message north-adt sent from .* with profile v1\?/, 'the confirmation names the source, the range and the profile');
    await browser.screenshot('integration-replay-confirm');
    await replay.getByRole('button', { name: 'Replay now' }).click();
    await assertText(replay.getByTestId('replay-answer'), /Queued 2 messages from north-adt to be worked again/, 'the processed message and the processed copy are queued; the superseded original is left alone');
    await settled('C-OK-1', 'processed');
    const okSteps = await db().selectFrom('gateway_message_events as e').innerJoin('gateway_messages as m', 'm.id', 'e.message_id').select('e.step').where('m.control_id', '=', 'C-OK-1').execute();
    assert.ok(okSteps.some((s) => s.step === 'replay-requested'), 'the replay is on the message’s timeline');

    // The one 401 is the server asking for the second factor at sign-in.
    assertPageHealthy(browser, [401]);
  });
});
