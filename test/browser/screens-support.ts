import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { Locator } from 'playwright-core';
import { startVigil, type RunningVigil } from '../../src/runtime/start.ts';
import { buildAccessFixture, freshTotp, type AccessFixture, type FixturePerson } from '../support/access-fixture.ts';
import { openBrowser, type BrowserSession } from '../support/browser.ts';
import { createTestDatabase, testConfig } from '../support/test-db.ts';

/**
 * Shared by the screen tests: one demo Vigil with the access fixture (one person per role set, patients per relation),
 * a browser per person, sign-in through the real form, and checks that never print what a page shows (the fixture's
 * patients are canaries: their names must not reach test output, even in a failure message).
 */
export const WAIT_MS = 15_000;

export interface ScreensStack {
  /** Closes the browsers, then Vigil, then the database, even after a failure. */
  close(): Promise<void>;
  vigil: RunningVigil;
  url: string;
  fixture: AccessFixture;
  person(roleSet: string): FixturePerson;
  browser(): Promise<BrowserSession>;
}

/** With a test context the stack is closed after that test; without one the caller closes it (a describe's after). */
export async function startScreensStack(t: TestContext | undefined, roleSets: string[]): Promise<ScreensStack> {
  const steps: Array<() => Promise<unknown>> = [];
  const close = async () => {
    const failures: unknown[] = [];
    for (const step of steps.splice(0).reverse()) await step().catch((err: unknown) => failures.push(err));
    if (failures.length > 0) throw failures[0];
  };
  t?.after(close);
  const db = await createTestDatabase();
  steps.push(() => db.dispose());
  // Checkpoints every second, so the verification screen has a signed checkpoint to show.
  const config = testConfig(db, { VIGIL_AUDIT_CHECKPOINT_SECONDS: '1' });
  assert.ok(existsSync(join(config.webDir, 'index.html')), `the web app is not built in ${config.webDir}: run \`npm run build:web\``);
  const vigil = await startVigil({ config, role: 'all', demo: true });
  steps.push(() => vigil.stop());
  await vigil.ready;
  const fixture = await buildAccessFixture(vigil.store, vigil.config, roleSets);
  return {
    close,
    vigil,
    url: vigil.url!.replace('localhost', '127.0.0.1'),
    fixture,
    person(roleSet) {
      const p = fixture.people.get(roleSet);
      assert.ok(p, `the fixture has a person for ${roleSet}`);
      return p;
    },
    async browser() {
      const session = await openBrowser();
      steps.push(() => session.close());
      return session;
    },
  };
}

/** Signs in through the form; with `totp`, expects the second-factor step and answers it. */
export async function signInThroughForm(browser: BrowserSession, url: string, person: FixturePerson, options: { totp: boolean }): Promise<void> {
  const { page } = browser;
  await page.goto(`${url}/#/sign-in`);
  await page.getByLabel('Username').fill(person.username);
  await page.getByLabel('Password').fill(person.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  if (options.totp) {
    await page.getByTestId('totp-step').waitFor({ timeout: WAIT_MS });
    await page.getByLabel('Authenticator code').fill(await freshTotp(person.totpSecret));
    await page.getByRole('button', { name: 'Verify and sign in' }).click();
  }
  await page.getByTestId('account-link').waitFor({ timeout: WAIT_MS });
}

/** Waits until the locator's text matches, then returns whether it did, without ever printing the text. */
export async function textMatches(locator: Locator, pattern: RegExp, timeoutMs = WAIT_MS): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const text = await locator.innerText({ timeout: timeoutMs }).catch(() => '');
    if (pattern.test(text)) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function assertText(locator: Locator, pattern: RegExp, what: string): Promise<void> {
  assert.ok(await textMatches(locator, pattern), what);
}

export async function assertNoText(locator: Locator, pattern: RegExp, what: string): Promise<void> {
  const text = await locator.innerText({ timeout: WAIT_MS });
  assert.ok(!pattern.test(text), what);
}

/**
 * No uncaught page error, no CSP violation, and no console error other than the browser's own note about an HTTP
 * status the test caused on purpose (a refused record is a 403 the page handles).
 */
export function assertPageHealthy(browser: BrowserSession, expectedStatuses: number[] = []): void {
  assert.deepEqual(browser.pageErrors, [], 'the page threw');
  assert.deepEqual(browser.cspViolations(), [], 'the page broke its Content Security Policy');
  const allowed = expectedStatuses.map((s) => `status of ${s}`);
  const unexpected = browser.console.filter((e) => e.type === 'error' && !(e.text.startsWith('Failed to load resource') && allowed.some((a) => e.text.includes(a))));
  // Only the count and the type reach the message: a console line could quote page content.
  assert.equal(unexpected.length, 0, `the page logged ${unexpected.length} unexpected console error(s)`);
}
