import { useEffect, useState } from 'react';
import { api, isAbort } from '../api/client.ts';
import type { AccessCheck } from '../api/types.ts';

/**
 * Asks the server whether it would permit `action` (for `patientId`) to this person now, to decide what to SHOW.
 * Undefined while asking or when the question could not be answered: show nothing extra then. The real route
 * decides again when the person acts.
 */
export function useAccessCheck(action: string, patientId: string | undefined, enabled = true, generation = 0): AccessCheck | undefined {
  const [answer, setAnswer] = useState<{ key: string; check: AccessCheck }>();
  const key = `${action}|${patientId ?? ''}|${generation}`;
  useEffect(() => {
    if (!enabled) return;
    const controller = new AbortController();
    api<AccessCheck>('/api/access/check', { method: 'POST', body: { action, ...(patientId ? { patientId } : {}) }, signal: controller.signal }).then(
      (check) => setAnswer({ key, check }),
      (err: unknown) => {
        if (!isAbort(err)) setAnswer(undefined);
      },
    );
    return () => controller.abort();
  }, [action, patientId, enabled, key]);
  return enabled && answer?.key === key ? answer.check : undefined;
}
