#!/usr/bin/env node
// The whole test suite, as README.md and .ci/run call it: builds the web app, prepares the migrated database template
// once, runs every test file with node:test, and fails the run if any canary identity reached the output or a log
// file, naming the test. With DATABASE_URL set the same tests run on that PostgreSQL server.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    files: { type: 'string', multiple: true },
    'no-build': { type: 'boolean', default: false },
    concurrency: { type: 'string', default: '2' },
  },
});

const outDir = resolve(process.env.VIGIL_TEST_OUTPUT ?? 'test-output');
const engine = process.env.DATABASE_URL ? 'PostgreSQL server' : 'embedded PGlite';
const chromium = process.env.VIGIL_CHROMIUM ?? '/usr/bin/chromium';
mkdirSync(outDir, { recursive: true });
for (const stale of ['canary-violations.ndjson', 'logs']) rmSync(join(outDir, stale), { recursive: true, force: true });
mkdirSync(join(outDir, 'logs'), { recursive: true });

function listTests(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true })
    .map((f) => join(dir, f))
    .filter((f) => f.endsWith('.test.ts') && !f.includes('fixtures') && statSync(f).isFile())
    .sort();
}

let files = values.files ?? [...listTests('src'), ...listTests('test')];
const notes = [];
if (!values.files) {
  const serverOnly = files.filter((f) => f.endsWith('.postgres.test.ts'));
  if (!process.env.DATABASE_URL && serverOnly.length > 0) {
    files = files.filter((f) => !serverOnly.includes(f));
    notes.push(`${serverOnly.length} file(s) need a PostgreSQL server and run when DATABASE_URL is set: ${serverOnly.join(', ')}`);
  }
  if (!existsSync(chromium)) {
    if (process.env.CI === 'true') {
      console.error(`run-tests: Chromium not found at ${chromium}; CI must install it (apt-get install -y chromium).`);
      process.exit(1);
    }
    const browser = files.filter((f) => f.startsWith('test/browser/'));
    files = files.filter((f) => !browser.includes(f));
    notes.push(`browser tests not run: no Chromium at ${chromium} (install it with: apt-get install -y chromium)`);
  }
}

function run(cmd, args, label) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: process.env });
  if (r.status !== 0) {
    console.error(`run-tests: ${label} failed (exit ${r.status}).`);
    process.exit(r.status ?? 1);
  }
}

if (!values['no-build']) run('npx', ['vite', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], 'building the web app');
run(process.execPath, ['--import', 'tsx', 'test/support/prepare-template.ts'], `preparing the ${engine} template`);

const { CANARIES } = await import('./canary-list.mjs');
const needles = CANARIES.map((c) => ({ ...c, needle: c.value.toLowerCase() }));
const rawHits = new Set();
let tail = '';
function scanRaw(chunk) {
  const text = (tail + chunk.toString('latin1')).toLowerCase();
  for (const c of needles) if (text.includes(c.needle)) rawHits.add(c.label);
  tail = text.slice(-64);
}

console.log(`run-tests: ${files.length} test file(s) on the ${engine}`);
const child = spawn(
  process.execPath,
  [
    '--import', 'tsx',
    '--import', './test/support/canary-guard.ts',
    '--test',
    `--test-concurrency=${values.concurrency}`,
    '--test-timeout=180000',
    '--test-reporter=spec',
    ...files,
  ],
  // NODE_TEST_CONTEXT is set when this script itself runs inside a test (the canary check's own test); the inner
  // runner must not take itself for a child of that one.
  { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_TEST_CONTEXT: undefined, VIGIL_TEST_OUTPUT: outDir } },
);
let summary = '';
child.stdout.on('data', (chunk) => {
  scanRaw(chunk);
  summary = (summary + chunk.toString('utf8')).slice(-4000);
  process.stdout.write(chunk);
});
child.stderr.on('data', (chunk) => {
  scanRaw(chunk);
  process.stderr.write(chunk);
});
const code = await new Promise((done) => child.on('close', (c) => done(c ?? 1)));

// Log files written by tests and by the Vigil processes they start.
const logHits = [];
for (const f of readdirSync(join(outDir, 'logs'), { recursive: true })) {
  const path = join(outDir, 'logs', f);
  if (!statSync(path).isFile()) continue;
  const text = readFileSync(path, 'latin1').toLowerCase();
  for (const c of needles) if (text.includes(c.needle)) logHits.push(`${f}: ${c.label}`);
}

const violationsFile = join(outDir, 'canary-violations.ndjson');
const violations = existsSync(violationsFile)
  ? readFileSync(violationsFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l))
  : [];

for (const note of notes) console.log(`run-tests: note: ${note}`);
const leaks = violations.length + logHits.length + rawHits.size;
if (leaks > 0) {
  console.error('run-tests: CANARY LEAK: PHI-shaped canary data reached test output or logs:');
  const seen = new Set();
  for (const v of violations) {
    const line = `  ${v.file} › ${v.test}: ${v.canary} on ${v.stream}`;
    if (!seen.has(line)) console.error(line);
    seen.add(line);
  }
  for (const h of logHits) console.error(`  log file ${h}`);
  if (violations.length === 0) for (const h of rawHits) console.error(`  raw output (test not known): ${h}`);
} else {
  console.log(`run-tests: canary scan clean (${CANARIES.length} canaries; output and ${readdirSync(join(outDir, 'logs')).length} log file(s) scanned)`);
}

const passed = Number(/ℹ pass (\d+)/.exec(summary)?.[1] ?? 0);
const failed = Number(/ℹ fail (\d+)/.exec(summary)?.[1] ?? 0) + (leaks > 0 ? 1 : 0);
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(code !== 0 ? code : leaks > 0 ? 1 : 0);
