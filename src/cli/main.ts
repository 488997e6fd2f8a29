import { parseArgs } from 'node:util';
import { checkStartRules, loadConfig, redactedConfig } from '../config/load.ts';
import type { ProcessRole } from '../config/settings.ts';
import { ConfigError, VigilError, describeError } from '../errors.ts';
import { recordAudit, SYSTEM_FACTS } from '../controls/audit/audit-event.ts';
import { ADMIN_USAGE, adminCommand } from './admin-command.ts';
import { withMigratedStore } from './command-support.ts';
import { cliOperator } from './operator.ts';
import { AUDIT_USAGE, auditCommand } from './audit-command.ts';
import { CLIENTS_USAGE, clientsCommand } from './clients-command.ts';
import { SOURCES_USAGE, sourcesCommand } from './sources-command.ts';
import { SIMULATE_USAGE, simulateCommand } from './simulate-command.ts';
import { loadKeyring } from '../controls/keys/keyring.ts';
import { rewrapPatientKeys } from '../controls/keys/patient-keys.ts';
import { SigningKeys } from '../controls/keys/signing-keys.ts';
import { createLogger } from '../observability/logger.ts';
import { fixHeapGrowth } from '../runtime/heap-growth.ts';
import { startVigil } from '../runtime/start.ts';
import { loadMigrations, migrate, migrationStatus } from '../store/migrate.ts';
import { openStore } from '../store/store.ts';
import { VERSION } from '../version.ts';

const USAGE = `vigil ${VERSION}: a clinical data platform

Usage:
  vigil start [--demo] [--role all|api|worker] [--config FILE]
      Start Vigil. --role api serves HTTP only, --role worker runs jobs only; both need DATABASE_URL.
  vigil migrate [--status] [--allow-destructive] [--config FILE]
      Apply pending database migrations (or, with --status, list them).
  vigil config check [--config FILE]
      Print the effective configuration, secrets redacted.
  vigil keys rotate [--signing] [--token]
      Re-wrap every stored data key under the active key-encryption key (VIGIL_KEK_FILE's "active" key);
      with --signing, also retire the audit signing key and make a new one (old public keys are kept);
      with --token, replace the access-token signing key (every outstanding access token stops working).
  vigil keys public
      Print the audit signing public keys (PEM, with ids and dates) for offline verification.
${AUDIT_USAGE}
${CLIENTS_USAGE}
${ADMIN_USAGE}
${SOURCES_USAGE}
${SIMULATE_USAGE}

Settings come from environment variables, or a JSON file (--config or VIGIL_CONFIG_FILE) with the same names.
`;

class UsageError extends Error {}

function fail(err: unknown): never {
  if (err instanceof ConfigError) {
    console.error(`vigil: ${err.message}`);
    process.exit(2);
  }
  if (err instanceof UsageError) {
    console.error(`vigil: ${err.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (err instanceof VigilError) {
    console.error(`vigil: ${err.message}`);
    process.exit(1);
  }
  const { err_name, error_code } = describeError(err);
  console.error(`vigil: failed with ${err_name} (code ${error_code}). Run with LOG_LEVEL=debug and check the log for the location.`);
  process.exit(1);
}

async function main(argv: string[]): Promise<void> {
  // The audit commands parse their own options (--out, --public-key, --live, …).
  if (argv[0] === 'audit') {
    process.exitCode = await auditCommand(argv.slice(1));
    return;
  }
  if (argv[0] === 'admin') {
    process.exitCode = await adminCommand(argv.slice(1));
    return;
  }
  if (argv[0] === 'simulate') {
    process.exitCode = await simulateCommand(argv.slice(1));
    return;
  }
  if (argv[0] === 'sources') {
    process.exitCode = await sourcesCommand(argv.slice(1));
    return;
  }
  if (argv[0] === 'clients') {
    process.exitCode = await clientsCommand(argv.slice(1));
    return;
  }
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      demo: { type: 'boolean', default: false },
      token: { type: 'boolean', default: false },
      role: { type: 'string', default: 'all' },
      config: { type: 'string' },
      status: { type: 'boolean', default: false },
      'allow-destructive': { type: 'boolean', default: false },
      signing: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, sub] = positionals;
  if (values.help || !command || command === 'help') {
    console.log(USAGE);
    return;
  }
  const config = loadConfig({ file: values.config });

  if (command === 'config' && sub === 'check') {
    console.log(JSON.stringify(redactedConfig(config), null, 2));
    return;
  }

  if (command === 'migrate') {
    const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 });
    try {
      const production = config.env === 'production';
      if (values.status) {
        const status = await migrationStatus(store);
        console.log(JSON.stringify({ engine: store.engine, ...status, latest: loadMigrations().at(-1)?.version ?? 0 }, null, 2));
        return;
      }
      const { applied } = await migrate(store, { allowDestructive: values['allow-destructive'], guardDestructive: production });
      console.log(applied.length === 0 ? 'vigil: migrations are current.' : `vigil: applied ${applied.map((m) => `${m.version}_${m.name}`).join(', ')}.`);
    } finally {
      await store.close();
    }
    return;
  }

  if (command === 'keys' && (sub === 'rotate' || sub === 'public')) {
    const keyring = loadKeyring(config);
    await withMigratedStore(config, async (store) => {
      const signing = new SigningKeys(keyring);
      if (sub === 'public') {
        await signing.active(store);
        console.log(JSON.stringify(await signing.publicKeys(store.db), null, 2));
        return;
      }
      const dataKeys = await rewrapPatientKeys(store, keyring);
      const signingKeys = await signing.rewrap(store);
      console.log(`vigil: re-wrapped ${dataKeys} patient data key(s) and ${signingKeys} signing key(s) under ${keyring.activeKekId}.`);
      const rotated: Record<string, string> = {};
      if (values.signing) {
        rotated.audit = await signing.rotate(store);
        console.log(`vigil: new audit signing key ${rotated.audit}; earlier public keys are kept.`);
      }
      if (values.token) {
        rotated.token = await new SigningKeys(keyring, 'token').rotate(store);
        console.log(`vigil: new access-token signing key ${rotated.token}; tokens signed by the old one stop working at once (people sign in again).`);
      }
      await recordAudit(store.db, null, SYSTEM_FACTS, {
        action: 'keys.rotate',
        actionCode: 'U',
        resourceType: 'Key',
        resourceIds: Object.values(rotated),
        outcome: 'success',
        actor: { actorType: 'system', actorId: 'vigil-cli', actorName: cliOperator() },
        details: { kek_id: keyring.activeKekId, data_keys_rewrapped: dataKeys, signing_keys_rewrapped: signingKeys, rotated: Object.keys(rotated) },
      });
    });
    return;
  }

  if (command === 'start') {
    const role = values.role as ProcessRole;
    if (!['all', 'api', 'worker'].includes(role)) throw new UsageError(`--role must be all, api or worker (got "${String(values.role).slice(0, 20)}").`);
    checkStartRules(config, { demo: values.demo, role });
    fixHeapGrowth(config.heapGrowthPercent);
    const logger = createLogger({ level: config.logLevel, file: config.logFile });
    const running = await startVigil({ config, role, demo: values.demo, logger });
    let signals = 0;
    const onSignal = (): void => {
      signals += 1;
      if (signals > 1) process.exit(1);
      void running.stop().then(({ drained }) => process.exit(drained ? 0 : 1));
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    const where = running.store.engine === 'pglite' ? `embedded database in ${config.dataDir}` : 'PostgreSQL server';
    if (running.url) console.log(`Vigil ${VERSION} is running (${role}, ${where}${values.demo ? ', demo data' : ''}): open ${running.url}`);
    else console.log(`Vigil ${VERSION} worker is running (${where}).`);
    if (values.demo) {
      void running.ready.then(
        () => {
          const file = running.demoCredentialsFile();
          if (file) console.log(`Demo accounts (usernames, passwords, TOTP secrets) are in ${file}; sign in at ${running.url ?? 'the API process'}.`);
        },
        () => undefined,
      );
    }
    return;
  }

  throw new UsageError(`unknown command "${command.slice(0, 20)}".`);
}

process.on('unhandledRejection', (err) => fail(err));
main(process.argv.slice(2)).catch(fail);
