const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
// A no-break space keeps a number and its unit on one line.
const NBSP = '\u00a0';

export function clockTime(at: Date): string {
  return clock.format(at);
}

export function secondsAgo(seconds: number): string {
  if (seconds <= 1) return 'just now';
  if (seconds < 120) return `${seconds}${NBSP}s ago`;
  return `${Math.round(seconds / 60)}${NBSP}min ago`;
}

/** 5000 -> "5 s", 500 -> "0.5 s". */
export function duration(ms: number): string {
  const seconds = ms / 1000;
  return `${seconds >= 10 ? Math.round(seconds) : Number(seconds.toFixed(1))}${NBSP}s`;
}
