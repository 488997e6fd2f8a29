import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { startVigil, type RunningVigil } from '../../src/runtime/start.ts';
import { assertChromiumInstalled, openBrowser, type BrowserSession } from '../support/browser.ts';
import { createTestDatabase, testConfig, type TestDatabase } from '../support/test-db.ts';

const WAIT_MS = 15_000;
const ENGINE_NAMES = { pglite: 'embedded PostgreSQL (PGlite)', postgres: 'PostgreSQL server' } as const;

interface Stack {
  db: TestDatabase;
  vigil: RunningVigil;
  browser: BrowserSession;
}

/**
 * Registers teardown steps that run newest first (browser, then server, then database), even when the test fails.
 * node:test runs t.after hooks in the order they were added, so the stack is kept here.
 */
function teardownStack(t: TestContext): (step: () => Promise<unknown>) => void {
  const steps: Array<() => Promise<unknown>> = [];
  t.after(async () => {
    const failures: unknown[] = [];
    for (const step of steps.reverse()) await step().catch((err: unknown) => failures.push(err));
    if (failures.length > 0) throw failures[0];
  });
  return (step) => steps.push(step);
}

/** A migrated demo Vigil and a browser, torn down after the test whether it passed or not. */
async function startStack(t: TestContext): Promise<Stack> {
  const onTeardown = teardownStack(t);
  const db = await createTestDatabase();
  onTeardown(() => db.dispose());
  const config = testConfig(db);
  assert.ok(existsSync(join(config.webDir, 'index.html')), `the web app is not built in ${config.webDir}: run \`npm run build:web\``);
  const vigil = await startVigil({ config, role: 'all', demo: true });
  onTeardown(() => vigil.stop());
  await vigil.ready;
  const browser = await openBrowser();
  onTeardown(() => browser.close());
  return { db, vigil, browser };
}

function byState(browser: BrowserSession, testId: string, state: string) {
  return browser.page.locator(`[data-testid="${testId}"][data-state="${state}"]`);
}

function assertPageHealthy(browser: BrowserSession): void {
  assert.deepEqual(browser.pageErrors, [], 'the page threw');
  assert.deepEqual(browser.cspViolations(), [], 'the page broke its Content Security Policy');
}

describe('start page', () => {
  // Chromium is part of the environment, not of npm: say so before any test spends time starting a server.
  before(assertChromiumInstalled);

  test('says what Vigil is and shows it ready, with its database, migrations, workers and instance', { timeout: 60_000 }, async (t) => {
    const { db, vigil, browser } = await startStack(t);
    const { page } = browser;

    await page.goto(`${vigil.url}/`);
    await byState(browser, 'overall-status', 'ready').waitFor({ timeout: WAIT_MS });
    await byState(browser, 'check-workers', 'ok').waitFor({ timeout: WAIT_MS });
    await page.getByTestId('instance-name').waitFor({ timeout: WAIT_MS });
    await browser.screenshot('start-page');

    assert.match(await page.getByRole('heading', { level: 1 }).innerText(), /\S/);
    const about = await page.locator('.about').innerText();
    for (const phrase of ['HL7 v2', 'FHIR R4', 'provenance', 'audit trail', 'consent', 'feed falls silent']) {
      assert.ok(about.includes(phrase), `the introduction mentions "${phrase}"`);
    }

    const overall = await page.getByTestId('overall-status').innerText();
    assert.match(overall, /\bReady\b/);
    assert.doesNotMatch(overall, /not ready/i);

    const database = await page.getByTestId('check-database').innerText();
    assert.match(database, /\bUp\b/);
    assert.ok(database.toLowerCase().includes(ENGINE_NAMES[db.engine].toLowerCase()), `database check names the engine: ${database}`);
    assert.match(database, /answered in [\d.]+\s+ms/);

    const migrations = await page.getByTestId('check-migrations').innerText();
    assert.match(migrations, /\bCurrent\b/);
    assert.match(migrations, /(\d+) of \1 applied/);

    const workers = await page.getByTestId('check-workers').innerText();
    const active = Number(/(\d+) active/.exec(workers)?.[1] ?? 0);
    assert.ok(active >= 1, `at least one worker active: ${workers}`);
    // The worker runs in this very process, so the list must show this host and pid.
    const row = page.getByTestId('check-workers').locator('tbody tr', { hasText: String(process.pid) });
    assert.match(await row.innerText(), new RegExp(`all\\s+${hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s+${process.pid}`));

    assert.equal(await page.getByTestId('instance-name').innerText(), 'Vigil Demo Hospital');
    assert.ok(await page.getByTestId('demo-badge').isVisible(), 'the demo badge is visible');
    assert.match(await page.getByTestId('demo-badge').innerText(), /Demo data/);
    assert.match(await page.getByTestId('last-checked').innerText(), /Last checked \d/);

    assertPageHealthy(browser);
    assert.deepEqual(
      browser.console.filter((entry) => entry.type === 'error'),
      [],
      'a healthy start page logs no errors (a missing asset or a failed request would show here)',
    );
  });

  test('says the server is unreachable, without showing stale health, once the server stops', { timeout: 60_000 }, async (t) => {
    const { vigil, browser } = await startStack(t);
    const { page } = browser;

    await page.goto(`${vigil.url}/?poll=500`);
    await byState(browser, 'overall-status', 'ready').waitFor({ timeout: WAIT_MS });

    await vigil.stop();
    await byState(browser, 'overall-status', 'unreachable').waitFor({ timeout: 10_000 });
    await browser.screenshot('start-page-unreachable');

    assert.match(await page.getByTestId('overall-status').innerText(), /\bUnreachable\b/);
    // A stopped server must not leave a green "Up" behind: each check falls back to an explicit "Unknown".
    for (const check of ['check-database', 'check-migrations', 'check-workers']) {
      assert.equal(await page.getByTestId(check).getAttribute('data-state'), 'unknown', `${check} no longer claims a state`);
      assert.match(await page.getByTestId(check).innerText(), /\bUnknown\b/);
    }
    assert.match(await page.getByTestId('last-checked').innerText(), /last answer \d/);

    assertPageHealthy(browser);
  });
});
