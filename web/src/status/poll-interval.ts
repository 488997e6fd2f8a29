export const DEFAULT_POLL_MS = 5_000;
const MIN_POLL_MS = 250;
const MAX_POLL_MS = 60_000;

/** `?poll=500` shortens the health poll (tests, demos); anything unusable falls back to the default. */
export function pollIntervalFrom(search: string): number {
  const raw = new URLSearchParams(search).get('poll');
  const ms = raw === null ? NaN : Number(raw);
  if (!Number.isFinite(ms)) return DEFAULT_POLL_MS;
  return Math.min(MAX_POLL_MS, Math.max(MIN_POLL_MS, Math.round(ms)));
}
