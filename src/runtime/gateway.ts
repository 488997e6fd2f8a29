import { readFileSync } from 'node:fs';
import type { VigilConfig } from '../config/settings.ts';
import type { KeyEncryptionService } from '../controls/keys/keyring.ts';
import { ArchiveKeys } from '../controls/keys/archive-keys.ts';
import type { MatchEngine } from '../core/identity/match-engine.ts';
import { ApplicationAckSender } from '../gateway/application-acks.ts';
import { DropFolderWatcher } from '../gateway/drop-folder.ts';
import { FreshnessWatcher } from '../gateway/freshness-watch.ts';
import { Hl7Intake } from '../gateway/hl7-intake.ts';
import { startMllpServer, type MllpServer } from '../gateway/mllp/server.ts';
import { GatewayProcessor } from '../gateway/processor.ts';
import { addSource, listSources, setSourceProfile, type AddSourceArgs } from '../gateway/source-commands.ts';
import { SourceRegistry } from '../gateway/sources.ts';
import type { ControlHandler } from './control-socket.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Store } from '../store/store.ts';
import { defaultMatchEngine } from './match-engine.ts';

/**
 * The gateway's moving parts in one process: the MLLP listener (API role: it only stores and acknowledges) and the
 * inbox processor (worker role). Both share the source registry and archive keys of the process.
 */
export class GatewayRuntime {
  readonly registry = new SourceRegistry();
  readonly archive: ArchiveKeys;
  readonly engine: MatchEngine | null;
  processor: GatewayProcessor | undefined;
  freshness: FreshnessWatcher | undefined;
  applicationAcks: ApplicationAckSender | undefined;
  mllp: MllpServer | undefined;
  drop: DropFolderWatcher | undefined;

  constructor(
    private readonly config: VigilConfig,
    keyring: KeyEncryptionService,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {
    this.archive = new ArchiveKeys(keyring);
    this.engine = defaultMatchEngine();
  }

  startProcessor(store: Store, workerId: string): void {
    this.processor = new GatewayProcessor(store, this.registry, this.archive, this.engine, this.logger.child({ component: 'gateway' }), this.metrics, {
      batchSize: store.engine === 'pglite' ? Math.min(this.config.gatewayBatchSize, 8) : this.config.gatewayBatchSize,
      pollMs: this.config.workerPollMs,
      maxAttempts: this.config.gatewayMaxAttempts,
      baseRetryMs: this.config.gatewayRetryBaseMs,
      synchronousCommit: this.config.gatewaySynchronousCommit,
      workerId,
    });
    this.processor.start();
    this.freshness = new FreshnessWatcher(store, this.registry, this.logger.child({ component: 'gateway' }), this.metrics, { intervalMs: this.config.gatewayFreshnessCheckMs, webhook: this.config.gatewayAlertWebhook });
    this.freshness.start();
    this.applicationAcks = new ApplicationAckSender(store, this.registry, this.archive, this.logger.child({ component: 'gateway' }), {
      intervalMs: this.config.workerPollMs,
      timeoutMs: 10_000,
      maxAttempts: this.config.gatewayMaxAttempts,
      baseRetryMs: this.config.gatewayRetryBaseMs,
    });
    this.applicationAcks.start();
  }

  async startListener(store: () => Store | undefined): Promise<number | undefined> {
    if (this.config.dropDir) {
      this.drop = new DropFolderWatcher(this.config.dropDir, store, this.registry, this.archive, this.logger.child({ component: 'drop-folder' }), this.metrics, () => this.processor?.poke());
      this.drop.start();
    }
    if (this.config.mllpPort === 'off') return undefined;
    const intake = new Hl7Intake(store, this.registry, this.archive, this.metrics, () => this.processor?.poke());
    const tls =
      this.config.mllpTlsKeyFile && this.config.mllpTlsCertFile
        ? {
            key: readFileSync(this.config.mllpTlsKeyFile),
            cert: readFileSync(this.config.mllpTlsCertFile),
            ...(this.config.mllpTlsCaFile ? { ca: readFileSync(this.config.mllpTlsCaFile), requestCert: true } : {}),
          }
        : undefined;
    this.mllp = await startMllpServer({
      host: this.config.mllpHost,
      port: this.config.mllpPort,
      idleTimeoutMs: this.config.mllpIdleTimeoutMs,
      maxMessageBytes: this.config.mllpMaxMessageBytes,
      handler: intake.handle,
      logger: this.logger.child({ component: 'mllp' }),
      ackIdentity: { application: 'VIGIL', facility: 'VIGIL' },
      ...(tls ? { tls } : {}),
    });
    return this.mllp.port;
  }

  async stopListener(): Promise<void> {
    await this.drop?.stop();
    await this.mllp?.close();
  }

  async stopProcessor(): Promise<void> {
    await this.freshness?.stop();
    await this.applicationAcks?.stop();
    await this.processor?.stop();
  }
}

/** What a running embedded Vigil does for `vigil sources …` sent over its control socket. */
export function sourceControlHandlers(store: Store, registry: SourceRegistry): Map<string, ControlHandler> {
  return new Map<string, ControlHandler>([
    ['sources.list', () => listSources(store, registry)],
    ['sources.add', (args) => addSource(store, registry, args as unknown as AddSourceArgs)],
    ['sources.profile', (args) => setSourceProfile(store, registry, args as unknown as { source: string; profile: unknown; actorName: string | null })],
  ]);
}
