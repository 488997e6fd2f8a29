/**
 * Shapes of the gateway API (src/api/routes/gateway.ts), imported from the server for their shape only (erased at
 * build time), so a change there breaks this build instead of a screen.
 */
import type { FeedView } from '../../../src/gateway/freshness-watch.ts';
import type { MessageSummary } from '../../../src/gateway/operator-console.ts';
import type { GatewaySource } from '../../../src/gateway/sources.ts';
import type { GatewayMessageState } from '../../../src/store/schema.ts';

export type { FeedView, GatewayMessageState, GatewaySource, MessageSummary };

/** GET /api/gateway/messages */
export interface MessagePage {
  items: MessageSummary[];
  next: string | null;
}

/** One step of a message's timeline. `detail` holds facts about the step (codes, counts, ids), never content. */
export interface TimelineStep {
  at: string;
  step: string;
  actor: string;
  detail: Record<string, unknown> | null;
}

/** GET /api/gateway/messages/:id */
export interface MessageDetail {
  message: MessageSummary;
  timeline: TimelineStep[];
  /** One entry per segment, every value replaced by ▒ and its length (MSH kept as sent). */
  masked: string[];
}

/** POST /api/gateway/messages/:id/reprocess and POST /api/gateway/messages/reprocess */
export interface ReprocessResult {
  queued: string[];
  skipped: { id: string; why: string }[];
}

export const MESSAGE_STATES: readonly GatewayMessageState[] = ['received', 'processed', 'parked', 'retrying', 'dead-letter', 'quarantined'];

/** The states an operator acts on; the dashboard counts these per feed. */
export const BACKLOG_STATES = ['parked', 'retrying', 'dead-letter', 'quarantined'] as const satisfies readonly GatewayMessageState[];
