import { v7 as uuidv7 } from 'uuid';
import { ackContextOf, ackModeOf, buildAck, type AckCode, type AckError, type AckMode } from '../adapters/hl7v2/ack.ts';
import { Hl7ParseError } from '../adapters/hl7v2/errors.ts';
import { SourceProfileError } from '../adapters/hl7v2/map/errors.ts';
import { mapHl7Message } from '../adapters/hl7v2/map/index.ts';
import type { Hl7Delimiters } from '../adapters/hl7v2/escape.ts';
import type { Hl7Header, Hl7Message } from '../adapters/hl7v2/message.ts';
import { parseHl7Message } from '../adapters/hl7v2/parse.ts';
import type { ArchiveKeys } from '../controls/keys/archive-keys.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Store } from '../store/store.ts';
import { GroupCommit, type GroupCommitOptions } from './group-commit.ts';
import type { MllpPeer } from './mllp/connection.ts';
import { peerAllowed, type GatewaySource, type SourceRegistry } from './sources.ts';

/**
 * The receive path for HL7 v2 over MLLP: parse, recognise the source, check the message can be mapped, store it
 * (encrypted, with its timeline) and only then answer. A message from an unregistered source, one that cannot be
 * parsed, or one that cannot be mapped is stored in quarantine and answered AR or AE with an ERR segment that names
 * the position and rule, never a value.
 */
export class StoreUnavailableError extends Error {
  constructor() {
    super('The database is not ready; the message was not stored.');
  }
}

interface Verdict {
  source: GatewaySource | null;
  quarantine?: { code: string; reason: string };
  ack: AckCode;
  error?: AckError;
}

export class Hl7Intake {
  /** Arrivals from every connection share commits; each ACK still waits for the commit that holds its message. */
  private readonly inbox: GroupCommit;

  constructor(
    private readonly store: () => Store | undefined,
    private readonly registry: SourceRegistry,
    archive: ArchiveKeys,
    private readonly metrics: Metrics | null,
    private readonly onAccepted: () => void = () => undefined,
    groupCommit: GroupCommitOptions = {},
  ) {
    this.inbox = new GroupCommit(archive, groupCommit);
  }

  readonly handle = async (payload: Buffer, peer: MllpPeer): Promise<string> => {
    const started = performance.now();
    const store = this.store();
    if (!store) throw new StoreUnavailableError();
    let header: Hl7Header | undefined;
    let delimiters: Hl7Delimiters | undefined;
    let verdict: Verdict;
    try {
      // Lenient first: the sender's profile, found from the header, says whether a final terminator is promised.
      const message = parseHl7Message(payload);
      header = message.header;
      delimiters = message.delimiters;
      verdict = await this.judge(store, message, peer, payload);
    } catch (err) {
      if (!(err instanceof Hl7ParseError)) throw err;
      const context = ackContextOf(payload);
      header = context?.header;
      delimiters = context?.delimiters;
      const source = header ? await this.registry.findHl7(store.db, header.sendingApplication.namespaceId, header.sendingFacility.namespaceId) : null;
      verdict = {
        source,
        quarantine: { code: `parse-${err.kind}`, reason: err.message },
        ack: 'AR',
        error: { hl7ErrorCode: err.kind === 'unsupported-version' ? 203 : 102, severity: 'E', diagnostic: err.message, ...(err.location.segmentId ? { segment: err.location.segmentId } : {}) },
      };
    }
    const mode: AckMode = header ? ackModeOf(header) : { mode: 'original' };
    const ackCode = mode.mode === 'enhanced' ? (({ AA: 'CA', AE: 'CE', AR: 'CR' }) as Record<string, AckCode>)[verdict.ack] ?? verdict.ack : verdict.ack;
    const stored = await this.inbox.store(store.db, {
      sourceId: verdict.source?.id ?? null,
      transport: 'mllp',
      peer: peer.address,
      raw: payload,
      messageType: header ? [header.messageType, header.triggerEvent].filter(Boolean).join('^') || null : null,
      controlId: header?.controlId || null,
      profileVersion: verdict.source?.profileVersion ?? null,
      ...(verdict.quarantine ? { quarantine: verdict.quarantine } : {}),
      ackCode,
      actor: 'mllp',
      detail: { ack_mode: mode.mode },
    });
    const outcome = verdict.quarantine ? 'quarantined' : stored.duplicate ? 'duplicate' : 'accepted';
    this.metrics?.gatewayReceived.inc({ transport: 'mllp', outcome });
    if (!verdict.quarantine && !stored.duplicate) this.onAccepted();
    // Every frame is answered, even when MSH-15 says NE: over MLLP the answer is the commit acknowledgment that tells
    // the sender the message is safe (MLLP release 2's reliable delivery), and a sender that waits for it stalls
    // without it, while one that did not want it ignores it.
    const ack = buildAck(header, { code: ackCode, ...(verdict.error ? { error: verdict.error } : {}) }, { now: new Date(), controlId: uuidv7().replaceAll('-', '').slice(0, 20), sendingApplication: 'VIGIL', sendingFacility: 'VIGIL', ...(delimiters ? { delimiters } : {}) });
    this.metrics?.gatewayAckSeconds.observe({ transport: 'mllp' }, (performance.now() - started) / 1000);
    return ack;
  };

  private async judge(store: Store, message: Hl7Message, peer: MllpPeer, payload: Buffer): Promise<Verdict> {
    const header = message.header;
    const source = await this.registry.findHl7(store.db, header.sendingApplication.namespaceId, header.sendingFacility.namespaceId);
    if (!source) return refuse(null, 'unregistered-source', 'MSH-3 and MSH-4 name no registered source. Register it with `vigil sources add`, then reprocess.', 'MSH', 3);
    if (!source.enabled) return refuse(source, 'source-disabled', 'The source is registered but disabled.', 'MSH', 3);
    if (!peerAllowed(source.peerAllowlist, peer.address)) return refuse(source, 'peer-not-allowed', "The connection's address is not on this source's allowlist.", 'MSH', 4);
    const profile = await this.registry.profile(store.db, source.id, source.profileVersion);
    if (profile.requireSegmentTerminator) parseHl7Message(payload, { requireTerminator: true });
    try {
      const mapped = mapHl7Message(message, { profile, sourceId: source.id, now: new Date() });
      if (!mapped.ok) {
        const e = mapped.error;
        const at = e.location;
        return {
          source,
          quarantine: { code: `map-${e.kind}`, reason: e.message },
          ack: e.ackCode,
          error: { segment: at.segment, ...(at.occurrence ? { occurrence: at.occurrence } : {}), ...(at.field ? { field: at.field } : {}), ...(at.component ? { component: at.component } : {}), hl7ErrorCode: e.hl7ErrorCode, severity: 'E', diagnostic: e.reason },
        };
      }
    } catch (err) {
      // A broken profile is our fault, not the sender's: keep the message (AA) and let processing retry after the fix.
      if (!(err instanceof SourceProfileError)) throw err;
    }
    return { source, ack: 'AA' };
  }
}

function refuse(source: GatewaySource | null, code: string, reason: string, segment: string, field: number): Verdict {
  return { source, quarantine: { code, reason }, ack: 'AR', error: { segment, field, hl7ErrorCode: 207, severity: 'E', diagnostic: reason } };
}
