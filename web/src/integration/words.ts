import type { PillTone } from '../components/Pill.tsx';
import type { FeedView, GatewayMessageState } from './types.ts';

/**
 * Words for the gateway's codes: message states, quarantine reasons, timeline steps and actors. They describe what the
 * server decided; a code this file does not know is shown as the server sent it, never hidden.
 */

export const STATE_WORDS: Record<GatewayMessageState, { label: string; tone: PillTone; means: string }> = {
  received: { label: 'Waiting', tone: 'info', means: 'Stored and waiting for a worker to take it.' },
  processed: { label: 'Processed', tone: 'ok', means: 'Worked and applied to the record.' },
  parked: { label: 'Parked', tone: 'warn', means: 'Waiting for something it refers to (a patient or an order) to arrive from the source. It is released by itself when that arrives, or comes to you when the profile’s parking time runs out.' },
  retrying: { label: 'Retrying', tone: 'warn', means: 'Failed with a temporary error and will be tried again by itself.' },
  'dead-letter': { label: 'Dead letter', tone: 'bad', means: 'Kept failing after every retry. Fix the cause, then reprocess it.' },
  quarantined: { label: 'Quarantined', tone: 'bad', means: 'Refused and kept for you. Nothing works it again until you reprocess it or submit a corrected copy.' },
};

export function stateWords(state: string): { label: string; tone: PillTone; means: string } {
  return Object.hasOwn(STATE_WORDS, state) ? STATE_WORDS[state as GatewayMessageState] : { label: state, tone: 'unknown', means: '' };
}

/** Backlog column headings on the dashboard. */
export const BACKLOG_LABELS: Record<string, string> = { parked: 'Parked', retrying: 'Retrying', 'dead-letter': 'Dead letter', quarantined: 'Quarantined' };

interface ReasonWords {
  /** A few words for a table cell. */
  short: string;
  /** What happened and what to do, for the message page. */
  long: string;
  /** The server's own reason says more than these words (the segment and field at fault), so show it too. */
  serverAdds?: boolean;
}

const REASONS: Record<string, ReasonWords> = {
  'unregistered-source': { short: 'Sender not registered', long: 'MSH-3 and MSH-4 name no registered source. Register the sender under Sources, then reprocess the message.' },
  'source-disabled': { short: 'Source disabled', long: 'The sender is registered, but the source is disabled. Enable it, then reprocess.' },
  'peer-not-allowed': { short: 'Address not allowed', long: 'The connection came from an address that is not on this source’s allowlist. Check the sender’s address or the allowlist, then reprocess.' },
  'parse-truncated': { short: 'Cut off (truncated)', long: 'The message stopped before its end: the sender or the network cut it off. Ask the sender to send it again, or reveal it and submit a corrected copy.' },
  'parse-malformed': { short: 'Not readable HL7', long: 'The message is complete, but it is not HL7 v2 that Vigil can read safely. Ask the sender to fix it, or submit a corrected copy.' },
  'parse-unsupported-version': { short: 'HL7 version not accepted', long: 'The message declares an HL7 version Vigil does not accept.' },
  'map-unsupported-event': { short: 'Event not handled', long: 'Vigil does not handle this message type or trigger event.' },
  'map-missing-required': { short: 'Required field empty', long: 'A field Vigil needs is empty. The server’s explanation below names the position.' },
  'map-invalid-value': { short: 'Field value not usable', long: 'A field holds a value Vigil cannot use. The server’s explanation below names the position.' },
  'parked-expired': { short: 'Waited too long', long: 'It waited for a patient or order that never arrived within the profile’s parking time. Make sure it arrives (or fix the source), then reprocess.' },
  superseded: { short: 'Replaced by a corrected copy', long: 'A corrected copy replaced this message; the copy is the one that is worked.' },
  'adapter-missing': { short: 'No adapter yet', long: 'This build has no adapter for this kind of message.' },
  'invalid-source-profile': { short: 'Source profile invalid', long: 'The source’s profile cannot be used. Fix the profile, then reprocess.' },
  'source-profile-invalid': { short: 'Source profile invalid', long: 'The source’s profile cannot be used. Fix the profile, then reprocess.' },
  'internal-error': { short: 'Unexpected error', long: 'Processing failed with an unexpected error. The server log has the details under this message id.' },
};

export function reasonWords(code: string | null): ReasonWords | undefined {
  if (!code) return undefined;
  // The listener writes `parse-truncated`, the worker `parse-hl7-truncated`, for the same fault.
  const known = code.startsWith('parse-hl7-') ? `parse-${code.slice(10)}` : code;
  const positional = known.startsWith('parse-') || known.startsWith('map-') || known === 'internal-error';
  if (Object.hasOwn(REASONS, known)) return { ...REASONS[known]!, serverAdds: positional };
  if (code.startsWith('db-')) return { short: 'Database busy', long: `The database refused or timed out (SQLSTATE ${code.slice(3)}): a temporary fault, not the message’s.`, serverAdds: true };
  return { short: code, long: '', serverAdds: true };
}

const SKIPPED: Record<string, string> = {
  'not-found': 'no longer in the inbox',
  'unregistered-source': 'the sender is not a registered source (register it under Sources first)',
  'superseded-by-correction': 'replaced by a corrected copy (reprocess the copy instead)',
  'state-received': 'already waiting to be worked',
};

export function skippedWords(why: string): string {
  return SKIPPED[why] ?? (why.startsWith('state-') ? `in state “${stateWords(why.slice(6)).label}”` : why);
}

/** "Queued 2 to be worked again. Skipped 1: the sender is not registered…" */
export function reprocessSummary(result: { queued: string[]; skipped: { why: string }[] }): string {
  const queued = result.queued.length === 0 ? 'Nothing was queued.' : `Queued ${result.queued.length === 1 ? '1 message' : `${result.queued.length} messages`} to be worked again.`;
  if (result.skipped.length === 0) return queued;
  const byWhy = new Map<string, number>();
  for (const s of result.skipped) byWhy.set(s.why, (byWhy.get(s.why) ?? 0) + 1);
  if (byWhy.size === 1) return `${queued} Skipped ${result.skipped.length} because ${skippedWords(result.skipped[0]!.why)}.`;
  const parts = [...byWhy].map(([why, n]) => `${n} because ${skippedWords(why)}`);
  return `${queued} Skipped ${result.skipped.length}: ${parts.join('; ')}.`;
}

const STEPS: Record<string, string> = {
  received: 'Received',
  quarantined: 'Quarantined',
  processed: 'Processed',
  parked: 'Parked',
  retrying: 'Failed, will retry',
  'dead-letter': 'Dead letter',
  released: 'Released (what it waited for arrived)',
  'delivered-again': 'Delivered again (not stored twice)',
  'reprocess-requested': 'Reprocess requested',
  'replay-requested': 'Replay requested',
  corrected: 'Corrected copy submitted',
  revealed: 'Content revealed',
  'reference-arrived': 'What it waited for arrived meanwhile',
  'application-ack-sent': 'Application acknowledgment sent to the sender',
  'application-ack-failed': 'Application acknowledgment could not be delivered',
};

/** The first step is the arrival, recorded under the state the message arrived in. */
export function stepWords(step: string, first = false): string {
  if (first && step !== 'received') return `Received and ${(STEPS[step] ?? step).toLowerCase()}`;
  return STEPS[step] ?? step;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Who took a step: `mllp`, `person:<id>`, `fhir:<client>`, or a worker's id. */
export function actorWords(actor: string, meId: string): { label: string; id?: string } {
  if (actor === 'mllp') return { label: 'MLLP listener' };
  if (actor.startsWith('person:')) {
    const id = actor.slice(7);
    return id === meId ? { label: 'You' } : { label: 'A colleague', id };
  }
  if (actor.startsWith('fhir:')) return { label: 'FHIR client', id: actor.slice(5) };
  if (actor.startsWith('operator:')) return { label: 'Operator', id: actor.slice(9) };
  if (UUID.test(actor)) return { label: 'Worker', id: actor };
  if (actor === 'system:gateway') return { label: 'Gateway (application acknowledgments)' };
  return { label: actor };
}

const DETAIL_LABELS: Record<string, string> = {
  reason_code: 'reason',
  ack: 'ACK sent',
  ack_mode: 'ACK mode',
  bytes: 'size',
  transport: 'transport',
  attempt: 'attempt',
  delay_ms: 'next try in',
  patients: 'patients',
  facts: 'facts',
  profile_version: 'profile',
  waiting_for: 'waiting for',
  references: 'references',
  from_state: 'was',
  copy: 'copy',
  released_by: 'released by',
};

/** Ids in a timeline step that lead to another message. */
export const MESSAGE_LINK_KEYS: ReadonlySet<string> = new Set(['copy', 'released_by']);

export function detailLabel(key: string): string {
  return DETAIL_LABELS[key] ?? key.replaceAll('_', ' ');
}

export function detailValue(key: string, value: unknown): string {
  if (key === 'reason_code' && typeof value === 'string') return reasonWords(value)?.short ?? value;
  if (key === 'bytes' && typeof value === 'number') return bytesText(value);
  if (key === 'delay_ms' && typeof value === 'number') return value < 60_000 ? `${Math.round(value / 1000)} s` : `${Math.round(value / 60_000)} min`;
  if (key === 'profile_version' && typeof value === 'number') return `v${value}`;
  if (key === 'from_state' && typeof value === 'string') return stateWords(value).label;
  if (key === 'transport' && typeof value === 'string') return value === 'mllp' ? 'MLLP' : value === 'operator' ? 'Operator' : value.toUpperCase();
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

export function bytesText(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export const KIND_WORDS: Record<string, string> = { hl7v2: 'HL7 v2', fhir: 'FHIR', file: 'File drop' };

export function cadenceText(feed: Pick<FeedView, 'cadence' | 'timeZone'>): string {
  const c = feed.cadence;
  if (!c) return 'Not watched';
  const every = c.everyMinutes % 60 === 0 ? `${c.everyMinutes / 60}\u00a0h` : `${c.everyMinutes}\u00a0min`;
  const hours = c.activeFrom && c.activeTo ? `, ${c.activeFrom}–${c.activeTo} ${feed.timeZone}` : '';
  return `Every ${every}${hours}`;
}
