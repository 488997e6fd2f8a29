import { useEffect, useState } from 'react';
import { fetchJson, NoAnswer } from './fetch-json.ts';
import type { Readiness } from './types.ts';

export type HealthObservation =
  | { kind: 'waiting' }
  | { kind: 'answered'; readiness: Readiness; checkedAt: Date }
  | { kind: 'unreachable'; reason: string; checkedAt: Date; lastAnsweredAt: Date | undefined };

function isReadiness(body: unknown): body is Readiness {
  const r = body as Partial<Readiness> | null;
  return typeof r === 'object' && r !== null && typeof r.status === 'string' && typeof r.checks === 'object' && r.checks !== null;
}

async function fetchReadiness(timeoutMs: number): Promise<Readiness> {
  // 503 is how the server says "not ready"; its body is the same report.
  const body = await fetchJson('/health/ready', timeoutMs, (status) => status === 200 || status === 503);
  if (!isReadiness(body)) throw new NoAnswer('its answer was not a Vigil health report');
  return body;
}

/**
 * Polls readiness for as long as the page is open. The next check is scheduled only after the previous one settles,
 * so a slow server never piles up requests, and a hung one counts as unreachable instead of looking healthy.
 */
export function useReadiness(intervalMs: number): HealthObservation {
  const [observation, setObservation] = useState<HealthObservation>({ kind: 'waiting' });

  useEffect(() => {
    let cancelled = false;
    let timer: number | undefined;
    let lastAnsweredAt: Date | undefined;
    const timeoutMs = Math.min(Math.max(intervalMs, 2_000), 10_000);

    async function check(): Promise<void> {
      try {
        const readiness = await fetchReadiness(timeoutMs);
        lastAnsweredAt = new Date();
        if (!cancelled) setObservation({ kind: 'answered', readiness, checkedAt: lastAnsweredAt });
      } catch (err) {
        const reason = err instanceof NoAnswer ? err.message : 'the request failed';
        if (!cancelled) setObservation({ kind: 'unreachable', reason, checkedAt: new Date(), lastAnsweredAt });
      }
      if (!cancelled) timer = window.setTimeout(() => void check(), intervalMs);
    }

    void check();
    return () => {
      cancelled = true;
      window.clearTimeout(timer);
    };
  }, [intervalMs]);

  return observation;
}
