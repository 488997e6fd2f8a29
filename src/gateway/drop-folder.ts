import { mkdirSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseHl7Batch } from '../adapters/hl7v2/parse.ts';
import type { ArchiveKeys } from '../controls/keys/archive-keys.ts';
import { VigilError, describeError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Store } from '../store/store.ts';
import { FhirIntake } from './fhir-intake.ts';
import { storeArrival } from './inbox.ts';
import type { GatewaySource, SourceRegistry } from './sources.ts';

/**
 * The drop folder: `<drop>/<source name>/<file>`. A sender (or the SFTP server in front of Vigil) writes a file under a
 * temporary name ending in `.part` and renames it when complete; the folder a file lands in names its source, and
 * write access to that folder is the source's credential. HL7 batch files (FHS/BHS…) are split into messages, FHIR
 * NDJSON into resources, a `.json` file is one FHIR payload. Every message is archived before the file moves to
 * `.done/`; a crash in between leaves the file in place and the next pass finds its messages already stored.
 */
const POLL_MS = 2_000;

export class DropFolderWatcher {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly dir: string,
    private readonly store: () => Store | undefined,
    private readonly registry: SourceRegistry,
    private readonly archive: ArchiveKeys,
    private readonly log: Logger,
    private readonly metrics: Metrics | null,
    private readonly onAccepted: () => void,
  ) {}

  start(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        await this.scanOnce().catch((err) => this.log.warn('gateway.drop.failed', describeError(err)));
        await sleep(POLL_MS, undefined, { signal: this.abort.signal }).catch(() => undefined);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort();
    await this.loop;
  }

  /** One pass over every source folder; a file is taken once its size held still for one pass. Returns files taken. */
  async scanOnce(settleChecks = true): Promise<number> {
    const store = this.store();
    if (!store) return 0;
    let taken = 0;
    for (const folder of readdirSync(this.dir, { withFileTypes: true })) {
      if (!folder.isDirectory() || folder.name.startsWith('.')) continue;
      const source = await this.registry.get(store.db, folder.name);
      const path = join(this.dir, folder.name);
      for (const file of readdirSync(path, { withFileTypes: true })) {
        if (!file.isFile() || file.name.startsWith('.') || file.name.endsWith('.part')) continue;
        const full = join(path, file.name);
        const size = statSync(full).size;
        if (settleChecks && this.seen.get(full) !== size) {
          this.seen.set(full, size);
          continue;
        }
        this.seen.delete(full);
        const outcome = await this.take(store, source, full, file.name).catch((err: unknown) => {
          this.log.warn('gateway.drop.file-failed', describeError(err));
          return 'failed' as const;
        });
        mkdirSync(join(path, outcome === 'failed' ? '.failed' : '.done'), { recursive: true, mode: 0o700 });
        try {
          renameSync(full, join(path, outcome === 'failed' ? '.failed' : '.done', `${new Date().toISOString().replaceAll(':', '')}-${file.name}`));
        } catch (err) {
          // Another API process took the same file first: its messages were stored once (deduplicated) either way.
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
        taken++;
      }
    }
    return taken;
  }

  private async take(store: Store, source: GatewaySource | undefined, full: string, name: string): Promise<'done' | 'failed'> {
    const raw = readFileSync(full);
    const actor = 'drop-folder';
    if (!source || !source.enabled) {
      await storeArrival(store.db, this.archive, { sourceId: null, transport: 'file', peer: null, raw, messageType: null, controlId: null, profileVersion: null, quarantine: { code: 'unregistered-source', reason: 'The drop folder this file was written to names no registered (enabled) source.' }, ackCode: null, actor });
      this.metrics?.gatewayReceived.inc({ transport: 'file', outcome: 'quarantined' });
      return 'done';
    }
    if (/\.(ndjson|json)$/i.test(name)) {
      const fhir = new FhirIntake(store, this.registry, this.archive, this.metrics);
      const pieces = /\.ndjson$/i.test(name) ? raw.toString('utf8').split('\n').filter((l) => l.trim() !== '') : [raw.toString('utf8')];
      for (const piece of pieces) {
        let json: unknown = null;
        try {
          json = JSON.parse(piece);
        } catch {
          json = null;
        }
        await fhir.receive(source, Buffer.from(piece, 'utf8'), json, 'file', actor).catch((err: unknown) => {
          if (!(err instanceof VigilError)) throw err;
        });
      }
      this.onAccepted();
      return 'done';
    }
    let batch;
    try {
      batch = parseHl7Batch(raw);
    } catch (err) {
      if (!(err instanceof VigilError)) throw err;
      await storeArrival(store.db, this.archive, { sourceId: source.id, transport: 'file', peer: null, raw, messageType: null, controlId: null, profileVersion: source.profileVersion, quarantine: { code: `file-${err.code}`, reason: err.message }, ackCode: null, actor });
      return 'done';
    }
    for (const message of batch.messages) {
      const header = message.header;
      await storeArrival(store.db, this.archive, {
        sourceId: source.id,
        transport: 'file',
        peer: null,
        raw: Buffer.from(message.toString(), 'utf8'),
        messageType: [header.messageType, header.triggerEvent].filter(Boolean).join('^') || null,
        controlId: header.controlId || null,
        profileVersion: source.profileVersion,
        ackCode: null,
        actor,
      });
    }
    if (batch.rejected.length > 0) {
      // The refused messages' bytes are inside the file: keep the whole file, once, for the operator.
      await storeArrival(store.db, this.archive, { sourceId: source.id, transport: 'file', peer: null, raw, messageType: 'FILE', controlId: null, profileVersion: source.profileVersion, quarantine: { code: 'file-messages-refused', reason: `${batch.rejected.length} message(s) in this file could not be parsed; the first: ${batch.rejected[0]!.error.message}` }, ackCode: null, actor });
    }
    this.metrics?.gatewayReceived.inc({ transport: 'file', outcome: 'accepted' }, batch.messages.length);
    this.onAccepted();
    return 'done';
  }
}
