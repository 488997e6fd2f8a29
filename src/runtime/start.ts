import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { buildApp, type VigilApp } from '../api/app.ts';
import type { ProcessRole, VigilConfig } from '../config/settings.ts';
import { AuditSealer } from '../controls/audit/sealer.ts';
import { loadKeyring, type KeyEncryptionService } from '../controls/keys/keyring.ts';
import { SigningKeys } from '../controls/keys/signing-keys.ts';
import { seedDemoHospital } from '../demo/demo-hospital.ts';
import { ensureInstance } from '../demo/seed.ts';
import { describeError } from '../errors.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import { createMetrics, type Metrics } from '../observability/metrics.ts';
import { migrate } from '../store/migrate.ts';
import { openStore, type Store } from '../store/store.ts';
import { VERSION } from '../version.ts';
import { HealthService } from './health.ts';
import { startControlSocket } from './control-socket.ts';
import { registerDemoSources, sendDemoTraffic } from '../demo/demo-traffic.ts';
import { GatewayRuntime, sourceControlHandlers } from './gateway.ts';
import { Worker, type JobHandler } from './worker.ts';
import { settlesWithin } from './within.ts';

export interface StartOptions {
  config: VigilConfig;
  role: ProcessRole;
  demo: boolean;
  logger?: Logger;
  /** Job handlers this process runs when it has the worker role. */
  jobHandlers?: ReadonlyMap<string, JobHandler>;
  /** Extra routes (tests). */
  extendApp?: (app: FastifyInstance) => Promise<void> | void;
}

export interface RunningVigil {
  /** http://host:port when this process serves HTTP. */
  url: string | undefined;
  app: VigilApp | undefined;
  metrics: Metrics;
  logger: Logger;
  store: Store;
  config: VigilConfig;
  keyring: KeyEncryptionService;
  /** Where the demo accounts' passwords and TOTP secrets were written (demo mode, once the database is ready). */
  demoCredentialsFile: () => string | undefined;
  /** Resolves once the database is reachable and migrated. */
  ready: Promise<void>;
  worker: () => Worker | undefined;
  /** The gateway of this process: source registry, MLLP listener (API role) and inbox processor (worker role). */
  gateway: GatewayRuntime;
  /** The MLLP port listened on, when this process listens for HL7 v2. */
  mllpPort: () => number | undefined;
  /** Drains HTTP requests and jobs (within shutdownGraceMs), then closes the database. */
  stop(): Promise<{ drained: boolean }>;
}

/**
 * Brings one Vigil process up. On the embedded database the data folder is locked and migrated before anything
 * listens. On a server the HTTP side listens at once (liveness answers, readiness says why it is not ready) while the
 * database is retried with backoff, so a process started before its database still comes up when the database does.
 */
export async function startVigil(options: StartOptions): Promise<RunningVigil> {
  const { config, role } = options;
  const logger = options.logger ?? createLogger({ level: config.logLevel, file: config.logFile });
  const log = logger.child({ component: 'runtime', role });
  const metrics = createMetrics();
  // A bad key file must stop start-up now, not when the first record is encrypted.
  const keyring = loadKeyring(config);
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.dbPoolSize });
  let stopping = false;
  let readyStore: Store | undefined;
  let worker: Worker | undefined;
  let auditSealer: AuditSealer | undefined;
  let demoCredentialsFile: string | undefined;
  const aborter = new AbortController();
  const gateway = new GatewayRuntime(config, keyring, logger, metrics);
  let mllpPort: number | undefined;
  let controlSocket: { close(): Promise<void> } | undefined;
  let demoTraffic: Promise<void> | undefined;
  let intakeOpened: Promise<void> | undefined;

  const health = new HealthService({
    store,
    metrics,
    version: VERSION,
    role,
    heartbeatMs: config.workerHeartbeatMs,
    isStopping: () => stopping,
    isStarted: () => readyStore !== undefined,
  });

  async function bringUpDatabase(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await store.ping();
        const production = config.env === 'production';
        const { applied } = await migrate(store, { allowDestructive: !production, guardDestructive: production });
        if (applied.length > 0) log.info('migrations.applied', { count: applied.length, version: applied.at(-1)!.version });
        await ensureInstance(store, { demo: options.demo, production });
        if (options.demo) {
          const seeded = await seedDemoHospital(store, keyring, { dataDir: config.dataDir, production, logger });
          demoCredentialsFile = seeded.credentialsFile;
          await registerDemoSources(store, gateway.registry);
        }
        readyStore = store;
        if (store.engine === 'pglite') controlSocket = await startControlSocket(config.dataDir, sourceControlHandlers(store, gateway.registry), logger);
        log.info('database.ready', { engine: store.engine, attempt });
        break;
      } catch (err) {
        const info = describeError(err);
        // Errors the database will not outgrow (an edited migration, demo data in production) stop the process.
        if (store.engine === 'pglite' || (err as { status?: number }).status === 500) throw err;
        const delay = Math.min(250 * 2 ** Math.min(attempt - 1, 10), config.dbRetryMaxMs);
        log.warn('database.unavailable', { ...info, attempt, delay_ms: delay, engine: store.engine });
        await sleep(delay, undefined, { signal: aborter.signal }).catch(() => undefined);
        if (aborter.signal.aborted) throw new Error('stopped before the database was reachable');
      }
    }
    if (role === 'all' || role === 'worker') {
      worker = new Worker(store, logger, metrics, {
        role: role === 'all' ? 'all' : 'worker',
        heartbeatMs: config.workerHeartbeatMs,
        pollMs: config.workerPollMs,
        handlers: options.jobHandlers ?? new Map(),
      });
      await worker.start();
      // Seals audit events behind the request path; with several workers one seals at a time (advisory lock).
      auditSealer = new AuditSealer(store, new SigningKeys(keyring, 'audit'), {
        intervalMs: config.auditSealIntervalMs,
        checkpointEvents: config.auditCheckpointEvents,
        checkpointSeconds: config.auditCheckpointSeconds,
        metrics,
        logger,
      });
      auditSealer.start();
      gateway.startProcessor(store, worker.id);
    }
  }

  const ready = bringUpDatabase();
  // Embedded: nothing to wait for, and a failure (lock, migration) must stop start-up before anything listens.
  if (store.engine === 'pglite') {
    try {
      await ready;
    } catch (err) {
      await store.close().catch(() => undefined);
      throw err;
    }
  } else {
    ready.catch((err) => {
      if (!aborter.signal.aborted) log.fatal('database.failed', describeError(err));
    });
  }

  let app: VigilApp | undefined;
  let url: string | undefined;
  let stopped: Promise<{ drained: boolean }> | undefined;
  async function stop(): Promise<{ drained: boolean }> {
    stopping = true;
    aborter.abort();
    log.info('shutdown.started', { role });
    let drained = true;
    await intakeOpened;
    await demoTraffic;
    // The listener goes first: a sender must not get an ACK for a message the processor will never see.
    await gateway.stopListener().catch(() => undefined);
    if (app?.app.server.listening) {
      const server = app.app.server;
      const closed = app.app.close().then(() => true);
      // Connections that were busy when close() began become idle later; close them as they do.
      const sweep = setInterval(() => server.closeIdleConnections(), 100);
      const inTime = await settlesWithin(closed, config.shutdownGraceMs).finally(() => clearInterval(sweep));
      if (!inTime) {
        app.app.server.closeAllConnections();
        drained = false;
      }
    }
    await ready.catch(() => undefined);
    await gateway.stopProcessor().catch(() => undefined);
    await controlSocket?.close().catch(() => undefined);
    if (worker) drained = (await worker.stop(config.shutdownGraceMs)).drained && drained;
    if (auditSealer) drained = (await auditSealer.stop(config.shutdownGraceMs)).drained && drained;
    await store.close().catch(() => undefined);
    log.info('shutdown.finished', { role, status: drained ? 0 : 1 });
    await logger.flush();
    return { drained };
  }

  if (role !== 'worker') {
    try {
      app = await buildApp({ config, logger, metrics, health, store: () => readyStore, version: VERSION, keyring, isStopping: () => stopping }, options.extendApp);
      await app.app.listen({ host: config.host, port: config.port });
      // Listeners that acknowledge messages open only once the database is ready: an ACK means "stored".
      const openIntake = async () => {
        if (stopping) return;
        mllpPort = await gateway.startListener(() => readyStore);
        if (options.demo && mllpPort !== undefined) demoTraffic = sendDemoTraffic(store, mllpPort, logger, aborter.signal).catch(() => undefined);
      };
      if (store.engine === 'pglite') await openIntake();
      else intakeOpened = ready.then(openIntake, () => undefined).catch((err) => log.error('mllp.failed', describeError(err)));
    } catch (err) {
      // Nothing may keep running half-started: the worker, the pool and the data folder lock go too.
      await stop();
      throw err;
    }
    const address = app.app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const shownHost = config.host === '127.0.0.1' || config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
    url = `http://${shownHost}:${port}`;
    log.info('http.listening', { port });
  }

  return {
    url,
    app,
    metrics,
    logger,
    store,
    config,
    keyring,
    demoCredentialsFile: () => demoCredentialsFile,
    ready: ready.then(() => undefined),
    worker: () => worker,
    gateway,
    mllpPort: () => mllpPort,
    stop: () => (stopped ??= stop()),
  };
}
