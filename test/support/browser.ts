import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/**
 * Debian's Chromium driven by playwright-core, so the tests need no browser download. Console output and page errors
 * are collected for the test to assert on, never printed: a page could one day log what it should not.
 */
// Same overrides as scripts/run-tests.mjs, so the runner and the harness agree on the browser and the output folder.
const CHROMIUM = process.env.VIGIL_CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOTS = join(resolve(process.env.VIGIL_TEST_OUTPUT ?? 'test-output'), 'screenshots');

export interface ConsoleEntry {
  type: string;
  text: string;
}

export interface BrowserSession {
  page: Page;
  /** Every console message the page produced, in order. */
  console: ConsoleEntry[];
  /** Uncaught exceptions in the page; any entry means the page is broken. */
  pageErrors: string[];
  /** Console messages in which Chromium reports a Content Security Policy violation. */
  cspViolations(): ConsoleEntry[];
  /** Saves a full-page PNG as test-output/screenshots/<name>.png and returns its path. */
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

/** Throws a message that says how to fix it; the tests never download a browser. */
export function assertChromiumInstalled(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium was not found at ${CHROMIUM}; the browser tests drive the system's Chromium. Install it with: apt-get install -y chromium`);
  }
}

export async function openBrowser(): Promise<BrowserSession> {
  assertChromiumInstalled();
  const userDataDir = mkdtempSync(join(tmpdir(), 'vigil-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  } catch (err) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw err;
  }

  const page = context.pages()[0] ?? (await context.newPage());
  const consoleEntries: ConsoleEntry[] = [];
  const pageErrors: string[] = [];
  page.on('console', (message) => consoleEntries.push({ type: message.type(), text: message.text() }));
  page.on('pageerror', (error) => pageErrors.push(`${error.name}: ${error.message}`));

  let closed: Promise<void> | undefined;
  return {
    page,
    console: consoleEntries,
    pageErrors,
    cspViolations: () => consoleEntries.filter((entry) => /Content Security Policy/i.test(entry.text)),
    async screenshot(name) {
      if (!/^[\w-]+$/.test(name)) throw new Error(`screenshot name "${name}" must be letters, digits, - or _`);
      mkdirSync(SCREENSHOTS, { recursive: true });
      const file = join(SCREENSHOTS, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    close: () =>
      (closed ??= context.close().finally(() => {
        rmSync(userDataDir, { recursive: true, force: true });
      })),
  };
}
