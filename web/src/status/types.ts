// The server's own type, imported for its shape only: a change to the health report breaks this build, not the page.
export type { Readiness, WorkerSummary } from '../../../src/runtime/health.ts';

/** GET /api/v1/instance */
export interface InstanceInfo {
  id: string;
  name: string;
  demo: boolean;
  createdAt: string;
}
