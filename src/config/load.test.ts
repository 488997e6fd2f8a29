import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../errors.ts';
import { checkStartRules, loadConfig, redactedConfig } from './load.ts';

const KEY = Buffer.alloc(32, 7).toString('base64');

test('defaults give a development server on port 8080 with an embedded database in ./.vigil', () => {
  const config = loadConfig({ env: {} });
  assert.equal(config.env, 'development');
  assert.equal(config.port, 8080);
  assert.match(config.dataDir, /\.vigil$/);
  assert.equal(config.databaseUrl, undefined);
});

test('a bad value names the setting and what is allowed', () => {
  assert.throws(() => loadConfig({ env: { PORT: 'eighty' } }), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.setting, 'PORT');
    assert.equal(err.message, 'PORT must be an integer from 0 to 65535 (got "eighty").');
    return true;
  });
  assert.throws(() => loadConfig({ env: { PORT: '70000' } }), /PORT must be an integer from 0 to 65535/);
  assert.throws(() => loadConfig({ env: { VIGIL_ENV: 'prod' } }), /VIGIL_ENV must be one of development, test, production/);
  assert.throws(() => loadConfig({ env: { LOG_LEVEL: 'loud' } }), /LOG_LEVEL must be one of/);
});

test('a bad secret is refused without echoing it', () => {
  assert.throws(() => loadConfig({ env: { DATABASE_URL: 'mysql://root:hunter2@db/x' } }), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.doesNotMatch(err.message, /hunter2/);
    assert.match(err.message, /DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL \(value hidden\)/);
    return true;
  });
  assert.throws(() => loadConfig({ env: { VIGIL_KEK: 'c2hvcnQ=' } }), /VIGIL_KEK must be a base64 key of exactly 32 bytes \(value hidden\)/);
});

test('a config file supplies settings and env vars win over it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-config-'));
  const file = join(dir, 'vigil.json');
  writeFileSync(file, JSON.stringify({ PORT: 9090, LOG_LEVEL: 'warn' }));
  const fromFile = loadConfig({ env: {}, file });
  assert.equal(fromFile.port, 9090);
  assert.equal(fromFile.logLevel, 'warn');
  assert.equal(loadConfig({ env: { PORT: '9191' }, file }).port, 9191);
});

test('a config file with an unknown or malformed entry is refused by name', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-config-'));
  const unknown = join(dir, 'a.json');
  writeFileSync(unknown, JSON.stringify({ PROT: 1 }));
  assert.throws(() => loadConfig({ env: {}, file: unknown }), /PROT in .* is not a Vigil setting/);
  const broken = join(dir, 'b.json');
  writeFileSync(broken, '{ PORT: ');
  assert.throws(() => loadConfig({ env: {}, file: broken }), /is not valid JSON/);
  assert.throws(() => loadConfig({ env: {}, file: join(dir, 'missing.json') }), /cannot read/);
});

test('production refuses demo data, the embedded database and missing key material', () => {
  const url = 'postgres://vigil:pw@127.0.0.1:5432/vigil';
  const prod = loadConfig({ env: { VIGIL_ENV: 'production', DATABASE_URL: url, VIGIL_KEK: KEY } });
  assert.doesNotThrow(() => checkStartRules(prod, { demo: false, role: 'all' }));
  assert.throws(() => checkStartRules(prod, { demo: true, role: 'all' }), /refuses demo data/);
  const noDb = loadConfig({ env: { VIGIL_ENV: 'production', VIGIL_KEK: KEY } });
  assert.throws(() => checkStartRules(noDb, { demo: false, role: 'all' }), /needs DATABASE_URL/);
  const noKey = loadConfig({ env: { VIGIL_ENV: 'production', DATABASE_URL: url } });
  assert.throws(() => checkStartRules(noKey, { demo: false, role: 'all' }), /needs key material/);
});

test('split roles need a shared PostgreSQL server', () => {
  const embedded = loadConfig({ env: {} });
  assert.throws(() => checkStartRules(embedded, { demo: false, role: 'api' }), /--role api .* needs a shared PostgreSQL server/);
  assert.throws(() => checkStartRules(embedded, { demo: false, role: 'worker' }), /--role worker/);
  assert.doesNotThrow(() => checkStartRules(embedded, { demo: true, role: 'all' }));
});

test('the redacted config hides passwords and keys but shows everything else', () => {
  const config = loadConfig({ env: { DATABASE_URL: 'postgres://vigil:s3cret-pw@db.internal:5432/vigil', VIGIL_KEK: KEY, PORT: '8181' } });
  const shown = redactedConfig(config);
  assert.equal(shown.PORT, '8181');
  assert.equal(shown.DATABASE_URL, 'postgres://vigil:*****@db.internal:5432/vigil');
  assert.equal(shown.VIGIL_KEK, '*****');
  assert.equal(shown.VIGIL_KEK_FILE, '(not set)');
  assert.doesNotMatch(JSON.stringify(shown), /s3cret-pw/);
  assert.doesNotMatch(JSON.stringify(shown), new RegExp(KEY.replace(/[+/=]/g, '\\$&')));
});

test('the heap may grow half again past what is live unless told otherwise; 0 hands the sizing back to V8', () => {
  assert.equal(loadConfig({ env: {} }).heapGrowthPercent, 50);
  assert.equal(loadConfig({ env: { VIGIL_HEAP_GROWTH_PERCENT: '0' } }).heapGrowthPercent, 0);
  assert.equal(loadConfig({ env: { VIGIL_HEAP_GROWTH_PERCENT: '120' } }).heapGrowthPercent, 120);
  assert.throws(() => loadConfig({ env: { VIGIL_HEAP_GROWTH_PERCENT: '500' } }), /VIGIL_HEAP_GROWTH_PERCENT must be an integer from 0 to 300/);
});

test("a worker's batches commit without waiting for the WAL flush unless told on", () => {
  assert.equal(loadConfig({ env: {} }).gatewaySynchronousCommit, false);
  assert.equal(loadConfig({ env: { VIGIL_GATEWAY_SYNCHRONOUS_COMMIT: 'on' } }).gatewaySynchronousCommit, true);
  assert.equal(loadConfig({ env: { VIGIL_GATEWAY_SYNCHRONOUS_COMMIT: 'off' } }).gatewaySynchronousCommit, false);
  assert.throws(() => loadConfig({ env: { VIGIL_GATEWAY_SYNCHRONOUS_COMMIT: 'yes' } }), /VIGIL_GATEWAY_SYNCHRONOUS_COMMIT must be on or off/);
});
