/**
 * Shapes of the review-queue API (src/api/routes/identity.ts), imported from the server for their shape only (erased
 * at build time), so a change there breaks this build instead of a screen.
 */
export type {
  ComparisonRow,
  DecisionOutcome,
  Demographics,
  EvidenceLine,
  MatchEvidence,
  MatchState,
  PossibleMatchSummary,
  PossibleMatchView,
  ReviewRecord,
  UnlinkOutcome,
  Verdict,
} from '../../../src/core/identity/review-queue.ts';
export type { HistoryAction, IdentityHistory, LinkEventView } from '../../../src/core/identity/identity-history.ts';
