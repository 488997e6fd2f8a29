import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { revokeSessionsOf } from '../../src/controls/access/auth/sessions.ts';
import { freshTotp } from '../support/access-fixture.ts';
import { assertChromiumInstalled } from '../support/browser.ts';
import { assertPageHealthy, assertText, signInThroughForm, startScreensStack, WAIT_MS } from './screens-support.ts';

describe('sign-in, who am I, sign-out', () => {
  before(assertChromiumInstalled);

  test('a security admin signs in with the second-factor step, sees who they are, and signs out; the API then answers 401', { timeout: 120_000 }, async (t) => {
    const stack = await startScreensStack(t, ['security-admin', 'nurse']);
    const admin = stack.person('security-admin');
    const browser = await stack.browser();
    const { page } = browser;

    // Before sign-in the start page (system health) is what `/` shows, with a way to sign in.
    await page.goto(`${stack.url}/`);
    await page.getByTestId('overall-status').waitFor({ timeout: WAIT_MS });
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor({ timeout: WAIT_MS });
    await browser.screenshot('screens-sign-in');

    // A wrong password: a plain message, still on the password step.
    await page.getByLabel('Username').fill(admin.username);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByTestId('error-notice').waitFor({ timeout: WAIT_MS });
    await assertText(page.getByTestId('error-notice'), /username or password is not correct/i, 'a wrong password says so, without saying which part was wrong');
    assert.equal(await page.getByTestId('error-notice').getAttribute('data-code'), 'auth.invalid_credentials');
    assert.equal(await page.getByTestId('totp-step').count(), 0, 'a wrong password never reaches the second-factor step');
    await browser.screenshot('screens-sign-in-wrong-password');

    // The right password: the server asks for the second factor, the page asks for the code.
    await page.getByLabel('Password').fill(admin.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByTestId('totp-step').waitFor({ timeout: WAIT_MS });
    assert.ok(await page.getByLabel('Authenticator code').evaluate((el) => el === document.activeElement), 'the code field has focus');
    await browser.screenshot('screens-sign-in-totp');
    await page.getByLabel('Authenticator code').fill(await freshTotp(admin.totpSecret));
    await page.getByRole('button', { name: 'Verify and sign in' }).click();
    await page.getByTestId('account-link').waitFor({ timeout: WAIT_MS });

    // A security admin lands in Admin; the navigation holds only what their permissions open.
    await page.getByRole('heading', { level: 1, name: 'People' }).waitFor({ timeout: WAIT_MS });
    const nav = page.getByRole('navigation', { name: 'Main' });
    assert.deepEqual(await nav.getByRole('link').allInnerTexts(), ['Privacy', 'Admin', 'Support', 'System'], 'no Patients link for a security admin; Privacy only for verification');
    assert.ok(page.url().includes('#/admin/people'), 'the screen address is in the hash, so a reload keeps it');

    // Who am I: name, roles, facilities, permissions as sentences by area.
    await page.getByTestId('account-link').click();
    await page.getByRole('heading', { level: 1, name: 'Who am I' }).waitFor({ timeout: WAIT_MS });
    await assertText(page.getByTestId('me-roles'), /Security administrator/, 'the role is named in words');
    await assertText(page.getByTestId('me-facilities'), /North/, 'the facility is named');
    const permissions = page.getByTestId('permissions');
    await assertText(permissions, /Directory and security/, 'permissions are grouped by area');
    await assertText(permissions, /Change people, roles, care teams, coverage and encounters/, 'directory.write reads as a sentence');
    assert.equal(await permissions.getByText('Search for patients').count(), 0, 'no patient permission is claimed for a security admin');
    await browser.screenshot('screens-who-am-i');

    // A reload keeps the session (cookie + this tab's CSRF token) and the screen.
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Who am I' }).waitFor({ timeout: WAIT_MS });

    // Sign out: back to the sign-in screen, and the server no longer knows this browser.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByTestId('signin-notice').waitFor({ timeout: WAIT_MS });
    assert.equal(await page.getByTestId('signin-notice').getAttribute('data-notice'), 'signed-out');
    const status = await page.evaluate(async () => (await fetch('/auth/me')).status);
    assert.equal(status, 401, 'after sign-out the API answers 401');
    await browser.screenshot('screens-signed-out');

    // The system page stays reachable signed out.
    await page.getByRole('link', { name: 'System' }).click();
    await page.getByTestId('overall-status').waitFor({ timeout: WAIT_MS });

    assertPageHealthy(browser, [401]);
  });

  test('a session ended on the server brings back sign-in with a message, then the same screen', { timeout: 120_000 }, async (t) => {
    const stack = await startScreensStack(t, ['nurse']);
    const nurse = stack.person('nurse');
    const browser = await stack.browser();
    const { page } = browser;

    // A nurse has no second-factor step at sign-in (only privileged roles do).
    await signInThroughForm(browser, stack.url, nurse, { totp: false });
    await page.getByRole('heading', { level: 1, name: 'Patients' }).waitFor({ timeout: WAIT_MS });

    await page.getByTestId('account-link').click();
    await page.getByRole('heading', { level: 1, name: 'Who am I' }).waitFor({ timeout: WAIT_MS });
    await assertText(page.getByTestId('permissions'), /Break the glass/, 'a nurse may break the glass');

    await stack.vigil.store.tx((trx) => revokeSessionsOf(trx, nurse.id, 'revoked-by-support', new Date()));
    await page.getByRole('link', { name: 'Patients' }).click();
    await page.getByLabel('Name or MRN').fill(stack.fixture.patients['own-team'].mrn);
    await page.getByRole('button', { name: 'Search' }).click();

    await page.getByTestId('signin-notice').waitFor({ timeout: WAIT_MS });
    assert.equal(await page.getByTestId('signin-notice').getAttribute('data-notice'), 'expired');
    await assertText(page.getByTestId('signin-notice'), /session has ended/i, 'the sign-in screen says the session ended');
    await browser.screenshot('screens-session-expired');

    await page.getByLabel('Username').fill(nurse.username);
    await page.getByLabel('Password').fill(nurse.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Patients' }).waitFor({ timeout: WAIT_MS });
    assert.ok(page.url().includes('q='), 'signing in again returns to the search the session ended on');
    await page.getByTestId('patient-results').waitFor({ timeout: WAIT_MS });

    assertPageHealthy(browser, [401]);
  });
});
