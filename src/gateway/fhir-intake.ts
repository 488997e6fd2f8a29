import { createHash } from 'node:crypto';
import { mapFhirPayload, SourceProfileError, type FhirIssue } from '../adapters/fhir/index.ts';
import type { ArchiveKeys } from '../controls/keys/archive-keys.ts';
import { VigilError } from '../errors.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Store } from '../store/store.ts';
import type { GroupCommit } from './group-commit.ts';
import { storeArrival, type Arrival } from './inbox.ts';
import type { GatewaySource, SourceRegistry } from './sources.ts';

/**
 * The receive path for FHIR R4 posted by a sending system (a Bundle or one resource, or NDJSON lines from a drop
 * folder): recognise the source by the system client it signed in as, check the payload maps, store the exact bytes
 * (encrypted) and only then answer. Refused payloads are kept in quarantine with their issues.
 */
export class FhirSourceUnknownError extends VigilError {
  constructor() {
    super('source-unregistered', 403, 'This system client is not registered as a FHIR source. Register it with `vigil sources add --kind fhir --client-id …`.');
  }
}

export class FhirPayloadRefusedError extends VigilError {
  constructor(
    code: string,
    status: number,
    message: string,
    readonly issues: readonly FhirIssue[],
    readonly messageId: string,
  ) {
    super(code, status, message);
  }
}

export interface FhirReceipt {
  messageId: string;
  duplicate: boolean;
  entries: { total: number; mapped: number; ignored: number; error: number };
}

/** A Bundle's own identity, so a re-post of the same bundle is recognised: its identifier, else its id, else its hash. */
function controlIdOf(json: unknown, raw: Uint8Array): string {
  const o = json as { identifier?: { value?: unknown }; id?: unknown; resourceType?: unknown; meta?: { versionId?: unknown } } | null;
  if (o && typeof o.identifier?.value === 'string') return o.identifier.value.slice(0, 200);
  if (o && typeof o.id === 'string' && typeof o.resourceType === 'string') return `${o.resourceType}/${o.id}${typeof o.meta?.versionId === 'string' ? `/_history/${o.meta.versionId}` : ''}`.slice(0, 200);
  return `sha256:${createHash('sha256').update(raw).digest('hex')}`;
}

export class FhirIntake {
  constructor(
    private readonly store: Store,
    private readonly registry: SourceRegistry,
    private readonly archive: ArchiveKeys,
    private readonly metrics: Metrics | null,
    /** When given, payloads posted at the same time share a commit (each is still answered only after its own). */
    private readonly inbox?: GroupCommit,
  ) {}

  async sourceForClient(clientId: string): Promise<GatewaySource> {
    const sources = await this.registry.list(this.store.db);
    const source = sources.find((s) => s.clientId === clientId && s.kind !== 'hl7v2');
    if (!source || !source.enabled) throw new FhirSourceUnknownError();
    return source;
  }

  /** `raw` is the body exactly as received; it is what the archive keeps. */
  async receive(source: GatewaySource, raw: Buffer, json: unknown, transport: 'fhir' | 'file', actor: string): Promise<FhirReceipt> {
    const profile = await this.registry.profile(this.store.db, source.id, source.profileVersion);
    let refused: { code: string; status: number; message: string; issues: readonly FhirIssue[] } | undefined;
    let entries = { total: 0, mapped: 0, ignored: 0, error: 0 };
    try {
      const mapped = mapFhirPayload(json, { profile, sourceId: source.id, now: new Date() });
      if (!mapped.ok) refused = { code: mapped.error.code, status: mapped.error.status, message: mapped.error.message, issues: mapped.error.issues };
      else {
        entries = { total: mapped.entries.length, mapped: 0, ignored: 0, error: 0 };
        for (const e of mapped.entries) entries[e.outcome]++;
      }
    } catch (err) {
      // A broken profile is our fault: keep the payload for processing after the fix.
      if (!(err instanceof SourceProfileError)) throw err;
    }
    const type = (json as { resourceType?: unknown } | null)?.resourceType;
    const bundleType = (json as { type?: unknown } | null)?.type;
    const arrival: Arrival = {
      sourceId: source.id,
      transport,
      peer: null,
      raw,
      messageType: typeof type === 'string' ? (type === 'Bundle' && typeof bundleType === 'string' ? `Bundle^${bundleType}` : type).slice(0, 60) : null,
      controlId: controlIdOf(json, raw),
      profileVersion: source.profileVersion,
      ...(refused ? { quarantine: { code: refused.code, reason: refused.message } } : {}),
      ackCode: null,
      actor,
      detail: { entries: entries.total },
    };
    // One row per payload whatever its size: a Bundle's resources are stored by one statement, not one each.
    const stored = this.inbox ? await this.inbox.store(this.store.db, arrival) : await storeArrival(this.store.db, this.archive, arrival);
    this.metrics?.gatewayReceived.inc({ transport, outcome: refused ? 'quarantined' : stored.duplicate ? 'duplicate' : 'accepted' });
    if (refused) throw new FhirPayloadRefusedError(refused.code, refused.status, refused.message, refused.issues, stored.id);
    return { messageId: stored.id, duplicate: stored.duplicate, entries };
  }
}
