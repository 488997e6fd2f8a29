import { useApi } from '../hooks/use-api.ts';
import type { Chart } from './types.ts';

/**
 * One patient's chart (GET /api/patients/:id/chart), loaded once for the banner at the top of the record and the
 * chart below it. Null: the person may not read the chart, so nothing is asked (every chart read is audited).
 */
export function useChart(patientId: string | null) {
  return useApi<Chart>(patientId ? `/api/patients/${encodeURIComponent(patientId)}/chart` : null);
}
