import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freshTotp, signIn } from '../support/access-fixture.ts';
import { assertChromiumInstalled } from '../support/browser.ts';
import { assertNoText, assertPageHealthy, assertText, signInThroughForm, startScreensStack, WAIT_MS, type ScreensStack } from './screens-support.ts';

/**
 * The support desk (support staff: find an account, end its sessions, lift a lockout, reset its second factor; refused
 * on a privileged account) and the security admin's "Issue sign-in credentials" (shown once, then cleared).
 */
describe('support desk and issued credentials', () => {
  let stack: ScreensStack;
  before(async () => {
    assertChromiumInstalled();
    stack = await startScreensStack(undefined, ['support-staff', 'nurse', 'security-admin']);
  });
  after(async () => {
    await stack?.close();
  });

  const meWith = (token: string) => fetch(`${stack.url}/auth/me`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
  const login = (body: Record<string, string>) =>
    fetch(`${stack.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  test('support finds a nurse, unlocks her, ends her sessions and resets her second factor; a security admin’s account is refused in plain words', { timeout: 120_000 }, async () => {
    const db = stack.vigil.store.db;
    const nurse = stack.person('nurse');
    const support = stack.person('support-staff');
    const admin = stack.person('security-admin');

    // The nurse has two API sessions open, then someone guesses at her password until the account locks.
    const tokens = [await signIn(stack.url, nurse), await signIn(stack.url, nurse)];
    for (const token of tokens) assert.equal(await meWith(token), 200, 'the nurse’s tokens work before support acts');
    for (let i = 0; i < 5; i++) assert.equal((await login({ username: nurse.username, password: 'not-her-password' })).status, 401);
    const lockedRow = await db.selectFrom('people').select(['locked_until', 'failed_logins']).where('id', '=', nurse.id).executeTakeFirstOrThrow();
    assert.ok(lockedRow.locked_until && new Date(lockedRow.locked_until).getTime() > Date.now(), 'five failures locked the nurse’s account');

    const browser = await stack.browser();
    const { page } = browser;
    await signInThroughForm(browser, stack.url, support, { totp: false });

    // Support lands on the desk; the navigation shows Support and nothing clinical or administrative.
    await page.getByRole('heading', { level: 1, name: 'Support desk' }).waitFor({ timeout: WAIT_MS });
    const nav = page.getByRole('navigation', { name: 'Main' });
    assert.equal(await nav.getByRole('link', { name: 'Support' }).count(), 1, 'the navigation shows Support');
    for (const name of ['Patients', 'Privacy', 'Admin']) assert.equal(await nav.getByRole('link', { name }).count(), 0, `the navigation hides ${name}`);

    // Find the nurse by the start of her username.
    await page.getByLabel('Username starts with').fill('nur');
    await page.getByRole('button', { name: 'Find', exact: true }).click();
    const row = page.getByTestId('accounts').locator(`tr[data-username="${nurse.username}"]`);
    await row.waitFor({ timeout: WAIT_MS });
    await assertText(page.getByTestId('account-count'), /^1 account\./, 'one account starts with the prefix');
    await assertText(row, /Locked/, 'the list says the account is locked');
    assert.match(page.url(), /#\/support\?username=nur$/, 'the prefix is part of the address');
    await browser.screenshot('screens-support-find');

    // Her account: locked, five failures, an authenticator, two open API sessions.
    await row.getByRole('link').click();
    await page.getByTestId('account-state').waitFor({ timeout: WAIT_MS });
    await assertText(page.getByTestId('lock-state'), /^Locked until/, 'the account shows the lock');
    await assertText(page.getByTestId('failures'), /^5$/, 'the account shows five failures in a row');
    await assertText(page.getByTestId('mfa-state'), /Authenticator enrolled/, 'the account shows the enrolled authenticator');
    await page.getByTestId('open-sessions').waitFor({ timeout: WAIT_MS });
    assert.equal(await page.getByTestId('open-sessions').locator('tbody tr').count(), 2, 'both open sessions are listed');
    assert.equal(await page.getByTestId('open-sessions').locator('tbody tr[data-kind="api"]').count(), 2, 'both are API sessions');
    const sessionsText = await page.getByTestId('open-sessions').innerText();
    for (const token of tokens) assert.ok(!sessionsText.includes(token) && !sessionsText.includes(token.split('.')[2]!), 'no token is shown');
    await browser.screenshot('screens-support-account');

    // Unlock, behind a confirmation.
    const unlock = page.getByTestId('action-unlock');
    await unlock.getByRole('button', { name: 'Unlock…' }).click();
    await assertText(unlock.getByRole('group', { name: /Confirm/ }), /sure the request comes from them/, 'the confirmation says what unlocking risks');
    await unlock.getByRole('button', { name: 'Unlock', exact: true }).click();
    await assertText(unlock.getByTestId('action-answer'), /Unlocked/, 'the server’s answer is shown');
    await assertText(page.getByTestId('lock-state'), /^Not locked$/, 'the state reloads as unlocked');
    const unlocked = await db.selectFrom('people').select(['locked_until', 'failed_logins']).where('id', '=', nurse.id).executeTakeFirstOrThrow();
    assert.equal(unlocked.locked_until, null, 'the lock is lifted');
    assert.equal(unlocked.failed_logins, 0, 'the failure count is reset');

    // End all sessions: the confirmation says what happens, then her tokens stop working.
    const end = page.getByTestId('action-end-sessions');
    await end.getByRole('button', { name: 'End all sessions…' }).click();
    await assertText(end.getByRole('group', { name: /Confirm/ }), /End all 2 open sessions of .*stops working on its next request/, 'the confirmation says what ending the sessions does');
    await browser.screenshot('screens-support-end-sessions-confirm');
    await end.getByRole('button', { name: 'End them now' }).click();
    await assertText(end.getByTestId('action-answer'), /Ended 2 sessions/, 'the server’s answer (two sessions ended) is shown');
    await assertText(page.getByTestId('open-count'), /No open sessions/, 'the account now has no open session');
    for (const token of tokens) assert.equal(await meWith(token), 401, 'a revoked session’s token is refused');
    const revoked = await db.selectFrom('sessions').select(['revoked_reason']).where('person_id', '=', nurse.id).execute();
    assert.ok(revoked.length === 2 && revoked.every((s) => s.revoked_reason === 'revoked-by-support'), 'both sessions were ended by support');

    // Reset the second factor, behind a confirmation that says what it means for her.
    const reset = page.getByTestId('action-reset-mfa');
    await reset.getByRole('button', { name: 'Reset second factor…' }).click();
    await assertText(reset.getByRole('group', { name: /Confirm/ }), /stops working for Vigil at once.*cannot break the glass.*issues new sign-in credentials/, 'the confirmation says what the reset means');
    await browser.screenshot('screens-support-reset-confirm');
    await reset.getByRole('button', { name: 'Reset second factor', exact: true }).click();
    await assertText(reset.getByTestId('action-answer'), /Second factor removed/, 'the server’s answer is shown');
    await assertText(page.getByTestId('mfa-state'), /None enrolled/, 'the state reloads without an authenticator');
    const mfa = await db.selectFrom('people').select('totp_secret_wrapped').where('id', '=', nurse.id).executeTakeFirstOrThrow();
    assert.equal(mfa.totp_secret_wrapped, null, 'the TOTP secret is gone');
    await page.locator('details.disclosure > summary').click();
    assert.equal(await page.getByTestId('ended-sessions').locator('tbody tr').count(), 2, 'the ended sessions are listed apart');
    await browser.screenshot('screens-support-account-done');

    // A security admin's account: support may not reset its second factor, and is told why in plain words.
    await page.getByRole('link', { name: 'Back to the search' }).click();
    await page.getByLabel('Username starts with').fill('security');
    await page.getByRole('button', { name: 'Find', exact: true }).click();
    await page.getByTestId('accounts').locator(`tr[data-username="${admin.username}"]`).getByRole('link').click();
    await page.getByTestId('account-state').waitFor({ timeout: WAIT_MS });
    await assertText(page.getByTestId('account-username'), new RegExp(`^${admin.username}$`), 'the security admin’s account opened');
    const resetAdmin = page.getByTestId('action-reset-mfa');
    await resetAdmin.getByRole('button', { name: 'Reset second factor…' }).click();
    await assertText(resetAdmin.getByRole('group', { name: /Confirm/ }), /cannot sign in at all/, 'the confirmation says a privileged person could not sign in at all');
    await resetAdmin.getByRole('button', { name: 'Reset second factor', exact: true }).click();
    const refusal = resetAdmin.getByTestId('action-refusal');
    await refusal.waitFor({ timeout: WAIT_MS });
    assert.equal(await refusal.getAttribute('data-reason'), 'deny-privileged-target');
    await assertText(refusal, /privileged account.*Only a security administrator may/, 'the refusal is explained in plain words');
    await assertNoText(refusal, /deny-privileged-target/, 'the refusal does not show the reason code');
    await browser.screenshot('screens-support-refused');
    const adminMfa = await db.selectFrom('people').select('totp_secret_wrapped').where('id', '=', admin.id).executeTakeFirstOrThrow();
    assert.notEqual(adminMfa.totp_secret_wrapped, null, 'the security admin keeps their second factor');

    // Each use is audited with the person it was done to; the refusal too.
    const events = await db.selectFrom('audit.events').select(['action', 'outcome', 'reason_code', 'resource_ids']).where('actor_id', '=', support.id).where('action', 'like', 'account.%').execute();
    for (const action of ['account.unlock', 'account.revoke-sessions', 'account.reset-mfa']) {
      assert.ok(events.some((e) => e.action === action && e.outcome === 'success' && e.resource_ids.includes(nurse.id)), `${action} on the nurse is audited`);
    }
    assert.ok(events.some((e) => e.action === 'account.reset-mfa' && e.outcome === 'denied' && e.reason_code === 'deny-privileged-target' && e.resource_ids.includes(admin.id)), 'the refusal is audited');

    // The one 403 is the refusal the test caused on purpose.
    assertPageHealthy(browser, [403]);
  });

  test('a security admin issues sign-in credentials to a new person, who signs in with them; the panel shows them once and Close clears them', { timeout: 120_000 }, async () => {
    const db = stack.vigil.store.db;
    const browser = await stack.browser();
    const { page } = browser;
    await signInThroughForm(browser, stack.url, stack.person('security-admin'), { totp: true });
    await page.getByRole('heading', { level: 1, name: 'People' }).waitFor({ timeout: WAIT_MS });
    assert.equal(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Support' }).count(), 1, 'a security admin also sees the support desk');

    // A new person, who has no password yet.
    await page.getByRole('link', { name: 'Add a person' }).click();
    await page.getByLabel('Full name').fill('Sam Ito');
    await page.getByLabel('Username').fill('sam.ito');
    await page.getByRole('checkbox', { name: /^Nurse/ }).check();
    await page.getByRole('checkbox', { name: /^North/ }).check();
    await page.getByRole('button', { name: 'Create person' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sam Ito' }).waitFor({ timeout: WAIT_MS });
    await assertText(page.getByTestId('created-notice'), /issue their sign-in credentials below/, 'the created notice points at issuing credentials');
    const sam = await db.selectFrom('people').select(['id']).where('username', '=', 'sam.ito').executeTakeFirstOrThrow();
    assert.equal((await login({ username: 'sam.ito', password: 'anything-at-all-12' })).status, 401, 'without credentials the new person cannot sign in');

    // Issue, behind a confirmation that says their sessions end.
    const panel = page.getByTestId('issue-credentials');
    await panel.getByRole('button', { name: 'Issue sign-in credentials…' }).click();
    await assertText(panel.getByRole('group', { name: /Confirm/ }), /open sessions end at once\. You will see the new password and authenticator secret once/, 'the confirmation says open sessions end and the credentials are shown once');
    await browser.screenshot('screens-admin-issue-confirm');
    await panel.getByRole('button', { name: 'Issue credentials', exact: true }).click();
    const once = page.getByTestId('one-time-credentials');
    await once.waitFor({ timeout: WAIT_MS });
    await assertText(once, /Shown once — hand them over securely, then close/, 'the panel says the credentials are shown once');
    const username = await once.getByTestId('issued-username').innerText();
    const password = await once.getByTestId('issued-password').innerText();
    const totpSecret = await once.getByTestId('issued-totp-secret').innerText();
    const uri = await once.getByTestId('issued-otpauth-uri').innerText();
    assert.equal(username, 'sam.ito');
    assert.ok(password.length >= 12, 'a password of at least 12 characters');
    assert.ok(uri.startsWith('otpauth://totp/') && uri.includes(`secret=${totpSecret}`), 'the setup link carries the same secret');
    await assertText(page.locator('section[aria-labelledby="status-title"]'), /Password and authenticator/, 'the account now shows a password and an authenticator');
    await browser.screenshot('screens-admin-credentials-once');

    // The new person signs in with them (the authenticator code proves the secret).
    const signedIn = await login({ username, password, totp: await freshTotp(totpSecret) });
    assert.equal(signedIn.status, 200, 'the new person signs in with the issued password and authenticator code');
    const { access_token: token } = (await signedIn.json()) as { access_token: string };
    assert.equal(await meWith(token), 200, 'their token works');

    // Nothing of them outside the page's memory: not the address, not storage, not the console.
    const held = await page.evaluate(() => JSON.stringify({ url: location.href, session: { ...sessionStorage }, local: { ...localStorage }, history: history.state as unknown }));
    for (const secret of [password, totpSecret]) {
      assert.ok(!held.includes(secret), 'the credentials are not in the address, the history or storage');
      assert.ok(!browser.console.some((e) => e.text.includes(secret)), 'the credentials are not in the console');
    }

    // Close clears them from the page.
    await once.getByRole('button', { name: 'Close and clear' }).click();
    await once.waitFor({ state: 'detached', timeout: WAIT_MS });
    const html = await page.content();
    assert.ok(!html.includes(password) && !html.includes(totpSecret), 'after Close the page no longer holds the credentials');
    await panel.getByRole('button', { name: 'Issue sign-in credentials…' }).waitFor({ timeout: WAIT_MS });
    await browser.screenshot('screens-admin-credentials-closed');

    // Issuing again replaces them and ends the session they just opened.
    await panel.getByRole('button', { name: 'Issue sign-in credentials…' }).click();
    await assertText(panel.getByRole('group', { name: /Confirm/ }), /current password and authenticator stop working, and their open sessions end at once/, 'the confirmation says the old ones stop working');
    await panel.getByRole('button', { name: 'Issue credentials', exact: true }).click();
    await once.waitFor({ timeout: WAIT_MS });
    assert.equal(await meWith(token), 401, 're-issuing ended the session opened with the first credentials');
    assert.equal((await login({ username, password, totp: await freshTotp(totpSecret) })).status, 401, 'the first password no longer works');
    await once.getByRole('button', { name: 'Close and clear' }).click();

    const audited = await db.selectFrom('audit.events').select(['outcome', 'resource_ids']).where('action', '=', 'account.issue-credentials').where('actor_id', '=', stack.person('security-admin').id).execute();
    assert.equal(audited.filter((e) => e.outcome === 'success' && e.resource_ids.includes(sam.id)).length, 2, 'each issue is audited with the person');

    // The 401s: the second factor asked at sign-in (none from the page otherwise).
    assertPageHealthy(browser, [401]);
  });
});
