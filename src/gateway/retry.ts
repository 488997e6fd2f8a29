/**
 * Exponential backoff with full jitter (AWS architecture blog's "full jitter"): retries from many workers spread out
 * instead of arriving together. Capped at one hour.
 */
export function retryDelayMs(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(baseMs * 2 ** Math.max(0, attempt - 1), 3_600_000);
  return Math.max(baseMs / 2, ceiling * random());
}
