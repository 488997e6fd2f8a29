import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freshTotp } from '../support/access-fixture.ts';
import { assertChromiumInstalled, type BrowserSession } from '../support/browser.ts';
import { assertPageHealthy, assertText, signInThroughForm, startScreensStack, WAIT_MS, type ScreensStack } from './screens-support.ts';

/**
 * The clinical side: a nurse searches, opens a patient in their care, is refused one outside it with a reason in
 * plain words, breaks the glass and sees the emergency banner, ends it; then a privacy officer reviews that access,
 * finds it in the audit trail, opens an event and checks the seals. Billing sees payer and no chart; a nurse no payer.
 * One Vigil for the file; the tests run in order and share what the earlier ones did.
 */
const ROLE_SETS = ['nurse', 'billing-specialist', 'privacy-officer'];
const REASON_TEXT = 'Patient collapsed on the ward, care team unreachable';

describe('patients, break-glass and its review', () => {
  let stack: ScreensStack;
  before(async () => {
    assertChromiumInstalled();
    stack = await startScreensStack(undefined, ROLE_SETS);
  });
  after(() => stack?.close());

  test('a nurse searches and opens a patient in their care: contact and chart, no payer', { timeout: 120_000 }, async () => {
    const browser = await stack.browser();
    const { page } = browser;
    await signInThroughForm(browser, stack.url, stack.person('nurse'), { totp: false });
    await page.getByRole('heading', { level: 1, name: 'Patients' }).waitFor({ timeout: WAIT_MS });

    // A search outside the nurse's care finds nothing (the server filters the rows), with an offer to break the glass.
    await page.getByLabel('Name or MRN').fill(stack.fixture.patients['other-team'].mrn);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByTestId('no-results').waitFor({ timeout: WAIT_MS });
    assert.equal(await page.getByTestId('no-results').getByRole('button', { name: 'Break the glass…' }).count(), 1, 'an MRN that finds nobody offers break-glass to a nurse');

    await page.getByLabel('Name or MRN').fill(stack.fixture.patients['own-team'].mrn);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByTestId('patient-results').waitFor({ timeout: WAIT_MS });
    assert.equal(await page.getByTestId('patient-results').locator('tbody tr').count(), 1, 'one patient carries this MRN');
    await assertText(page.getByTestId('search-status'), /^1 patient found\.$/, 'the count is announced');
    await browser.screenshot('screens-patient-search');

    await page.getByTestId('patient-results').locator('tbody tr a').first().click();
    await page.getByTestId('section-identity').waitFor({ timeout: WAIT_MS });
    await page.getByTestId('section-chart').waitFor({ timeout: WAIT_MS });
    assert.ok(await page.getByTestId('section-contact').isVisible(), 'a nurse sees contact details');
    assert.equal(await page.getByTestId('section-payer').count(), 0, 'a nurse does not see the payer');
    assert.ok(page.url().includes(`#/patients/${stack.fixture.patients['own-team'].id}`));
    await browser.screenshot('screens-patient-nurse');
    assertPageHealthy(browser);
    await browser.close();
  });

  test('a nurse is refused a patient outside their care, breaks the glass, sees the banner, and ends it', { timeout: 120_000 }, async () => {
    const browser = await stack.browser();
    const { page } = browser;
    const nurse = stack.person('nurse');
    const patient = stack.fixture.patients['other-team'];
    await signInThroughForm(browser, stack.url, nurse, { totp: false });

    // Following a link to the record (a referral, a page from a colleague).
    await page.goto(`${stack.url}/#/patients/${patient.id}`);
    await page.getByTestId('refusal').waitFor({ timeout: WAIT_MS });
    assert.equal(await page.getByTestId('refusal').getAttribute('data-reason'), 'deny-no-care-relation');
    await assertText(page.getByTestId('refusal-reason'), /not in your care/, 'the refusal says why in plain words');
    await page.getByRole('button', { name: 'Break the glass' }).waitFor({ timeout: WAIT_MS });
    assert.equal(await page.getByTestId('section-identity').count(), 0, 'nothing of the record is shown');
    await browser.screenshot('screens-patient-refused');

    // Keyboard: the dialog opens with focus inside it, Escape closes it and gives focus back to the button.
    await page.getByRole('button', { name: 'Break the glass' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByTestId('break-glass-dialog');
    await dialog.waitFor({ timeout: WAIT_MS });
    assert.ok(await dialog.evaluate((d) => d.contains(document.activeElement)), 'focus moves into the dialog');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached', timeout: WAIT_MS });
    assert.ok(await page.getByRole('button', { name: 'Break the glass' }).evaluate((b) => b === document.activeElement), 'focus returns to the button');

    await page.getByRole('button', { name: 'Break the glass' }).click();
    await dialog.waitFor({ timeout: WAIT_MS });
    await assertText(dialog, /recorded and reviewed/, 'the dialog warns that the access is recorded and reviewed');
    // Submitting empty says what is missing, and sends nothing.
    await dialog.getByRole('button', { name: /Open the record/ }).click();
    await assertText(dialog, /Choose the reason/, 'a missing reason is named');
    await dialog.getByLabel('Emergency treatment').check();
    await dialog.getByLabel('What is the emergency?').fill(REASON_TEXT);
    await dialog.getByLabel('For how long').selectOption('30');
    await dialog.getByLabel('Authenticator code').fill(await freshTotp(nurse.totpSecret));
    await browser.screenshot('screens-break-glass-dialog');
    await dialog.getByRole('button', { name: 'Open the record for 30 minutes' }).click();

    const banner = page.getByTestId('emergency-banner');
    await banner.waitFor({ timeout: WAIT_MS });
    await assertText(banner, /Emergency access until \d{2}:\d{2} — recorded for review/, 'the banner says until when, and that it is reviewed');
    await page.getByTestId('section-identity').waitFor({ timeout: WAIT_MS });
    const grant = await stack.vigil.store.db
      .selectFrom('break_glass_grants')
      .select(['id', 'reason_code', 'expires_at', 'started_at', 'ended_at'])
      .where('person_id', '=', nurse.id)
      .where('patient_id', '=', patient.id)
      .executeTakeFirstOrThrow();
    assert.equal(grant.reason_code, 'emergency-treatment');
    const minutes = Math.round((new Date(grant.expires_at).getTime() - new Date(grant.started_at).getTime()) / 60_000);
    assert.equal(minutes, 30, 'the grant lasts the 30 minutes asked for');
    await browser.screenshot('screens-patient-emergency');

    await banner.getByRole('button', { name: 'End now' }).click();
    await page.getByTestId('refusal').waitFor({ timeout: WAIT_MS });
    assert.equal(await page.getByTestId('emergency-banner').count(), 0, 'the banner goes with the access');
    const ended = await stack.vigil.store.db.selectFrom('break_glass_grants').select('ended_at').where('id', '=', grant.id).executeTakeFirstOrThrow();
    assert.ok(ended.ended_at, 'the grant is ended on the server');

    assertPageHealthy(browser, [403]);
    await browser.close();
  });

  test('a privacy officer reviews that break-glass, finds it in the audit trail, opens an event and sees the seals', { timeout: 120_000 }, async () => {
    const browser = await stack.browser();
    const { page } = browser;
    const patient = stack.fixture.patients['other-team'];
    const nurse = stack.person('nurse');
    await signInThroughForm(browser, stack.url, stack.person('privacy-officer'), { totp: true });

    // The review queue is the privacy officer's first screen.
    await page.getByRole('heading', { level: 1, name: 'Break-glass reviews' }).waitFor({ timeout: WAIT_MS });
    const card = page.locator(`[data-testid="review-card"][data-patient="${patient.id}"]`);
    await card.waitFor({ timeout: WAIT_MS });
    await assertText(card, new RegExp(REASON_TEXT), 'the card shows the nurse’s explanation');
    await assertText(card, /Emergency treatment/, 'the coded reason is shown in words');
    await assertText(card.getByTestId('access-count'), /^[1-9]\d*$/, 'the accesses made under the grant are counted');
    await browser.screenshot('screens-privacy-reviews');

    await card.getByRole('radio', { name: /^Appropriate/ }).check();
    await card.getByLabel('Note').fill('Checked with the ward: collapse confirmed, access limited to the emergency.');
    await card.getByRole('button', { name: 'Record outcome' }).click();
    await card.waitFor({ state: 'detached', timeout: WAIT_MS });

    await page.getByRole('button', { name: 'Reviewed' }).click();
    const reviewed = page.locator(`[data-testid="review-card"][data-patient="${patient.id}"]`);
    await reviewed.waitFor({ timeout: WAIT_MS });
    await assertText(reviewed, /Appropriate/, 'the outcome is shown');
    await assertText(reviewed, /collapse confirmed/, 'the note is kept');
    await browser.screenshot('screens-privacy-reviewed');
    const row = await stack.vigil.store.db.selectFrom('break_glass_grants').select(['review_outcome', 'reviewer_id']).where('person_id', '=', nurse.id).where('patient_id', '=', patient.id).executeTakeFirstOrThrow();
    assert.equal(row.review_outcome, 'appropriate');
    assert.equal(row.reviewer_id, stack.person('privacy-officer').id);

    // The audit trail for that patient, emergency access only.
    await page.getByRole('navigation', { name: 'Privacy' }).getByRole('link', { name: 'Audit trail' }).click();
    await page.getByRole('heading', { level: 1, name: 'Audit trail' }).waitFor({ timeout: WAIT_MS });
    await page.getByLabel('Patient id').fill(patient.id);
    await page.getByLabel('Emergency (break-glass) access only').check();
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    // The unfiltered first page stays on screen while the filtered search loads: wait for the rows of this search.
    const results = page.locator('[data-testid="audit-results"][data-state="ok"][data-query*="break_glass=true"]');
    await results.locator('tr[data-action="break-glass.start"]').waitFor({ timeout: WAIT_MS });
    const listed = await results.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));
    assert.ok(listed.includes('patient.read'), `the read under break-glass is listed (listed: ${listed.join(', ')})`);
    assert.equal(await results.locator('tbody tr').filter({ hasNotText: 'Break-glass' }).count(), 0, 'every listed event carries the break-glass flag');
    await browser.screenshot('screens-audit-search');

    // One event in full: fields, seal sequence, FHIR AuditEvent.
    await results.locator('tr[data-action="patient.read"] a').first().click();
    await page.getByTestId('event-fields').waitFor({ timeout: WAIT_MS });
    for (let i = 0; i < 20 && (await page.getByTestId('event-seq').count()) === 0; i++) {
      await new Promise((r) => setTimeout(r, 500));
      await page.reload();
      await page.getByTestId('event-fields').waitFor({ timeout: WAIT_MS });
    }
    await assertText(page.getByTestId('event-seq'), /^#\d+$/, 'the event shows its seal sequence');
    await assertText(page.getByTestId('event-fields'), /Break-glass\s+Yes/, 'the break-glass flag is among the fields');
    await assertText(page.getByTestId('event-fields'), new RegExp(nurse.username), 'the actor is named');
    const fhir = JSON.parse(await page.getByTestId('fhir-audit-event').innerText()) as { resourceType: string; id: string };
    assert.equal(fhir.resourceType, 'AuditEvent');
    await browser.screenshot('screens-audit-event');

    // Who has seen this record.
    await page.getByRole('link', { name: 'Who has seen this patient’s record' }).click();
    await page.getByTestId('accessors').waitFor({ timeout: WAIT_MS });
    const nurseRow = page.getByTestId('accessors').locator('tbody tr', { hasText: nurse.username });
    await nurseRow.waitFor({ timeout: WAIT_MS });
    await assertText(nurseRow, /Break-glass|\b[1-9]\d*\b/, 'the nurse is listed with their accesses');
    await browser.screenshot('screens-access-report');

    // Verification: sealed vs pending, the latest signed checkpoint and its key.
    await page.getByRole('navigation', { name: 'Privacy' }).getByRole('link', { name: 'Verification' }).click();
    await page.getByTestId('seal-status').waitFor({ timeout: WAIT_MS });
    await page.getByTestId('latest-checkpoint').waitFor({ timeout: WAIT_MS });
    await assertText(page.getByTestId('checkpoint-key'), /\S{6,}/, 'the signing key id is shown');
    const events = Number((await page.getByTestId('stat-events').innerText()).replace(/\D/g, ''));
    const sealed = Number((await page.getByTestId('stat-sealed').innerText()).replace(/\D/g, ''));
    assert.ok(events > 0 && sealed > 0 && sealed <= events, 'events and sealed counts are shown');
    await page.getByTestId('checkpoints').waitFor({ timeout: WAIT_MS });
    await browser.screenshot('screens-verification');

    // The one 401 is the server asking for the second factor at sign-in.
    assertPageHealthy(browser, [401]);
    await browser.close();
  });

  test('billing sees the payer and no chart; a nurse never sees the payer', { timeout: 120_000 }, async () => {
    const patient = stack.fixture.patients['own-team'];
    const billingBrowser = await stack.browser();
    await signInThroughForm(billingBrowser, stack.url, stack.person('billing-specialist'), { totp: false });
    await billingBrowser.page.goto(`${stack.url}/#/patients/${patient.id}`);
    await billingBrowser.page.getByTestId('section-payer').waitFor({ timeout: WAIT_MS });
    await assertText(billingBrowser.page.getByTestId('section-payer'), /Fixture Mutual/, 'billing sees the insurer');
    await assertText(billingBrowser.page.getByTestId('section-payer'), /FM-/, 'billing sees the member id');
    // Give the chart check its time to answer before asserting it stays hidden.
    await billingBrowser.page.waitForLoadState('networkidle');
    assert.equal(await billingBrowser.page.getByTestId('section-chart').count(), 0, 'billing sees no clinical section');
    assert.equal(await billingBrowser.page.getByTestId('section-sensitivity').count(), 0);
    await billingBrowser.screenshot('screens-patient-billing');
    assertPageHealthy(billingBrowser);
    await billingBrowser.close();

    const nurseBrowser: BrowserSession = await stack.browser();
    await signInThroughForm(nurseBrowser, stack.url, stack.person('nurse'), { totp: false });
    await nurseBrowser.page.goto(`${stack.url}/#/patients/${patient.id}`);
    await nurseBrowser.page.getByTestId('section-chart').waitFor({ timeout: WAIT_MS });
    assert.equal(await nurseBrowser.page.getByTestId('section-payer').count(), 0, 'a nurse does not see the payer');
    assert.equal(await nurseBrowser.page.getByText('Fixture Mutual').count(), 0, 'nor the insurer’s name anywhere on the page');
    assertPageHealthy(nurseBrowser);
  });
});
