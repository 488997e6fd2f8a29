import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU seconds from /proc, to say which process a request's time was spent in (the Vigil process, or the PostgreSQL
 * server) independently of how busy the rest of the machine was. Linux only; elsewhere every figure is NaN.
 */
const TICKS_PER_SECOND = 100;

interface Stat {
  ppid: number;
  /** utime + stime, in ticks. */
  own: number;
  /** cutime + cstime: children that ended and were waited for. */
  children: number;
}

function stat(pid: number): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: fields are counted after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const n = (i: number) => Number(fields[i - 3]);
    return { ppid: n(4), own: n(14) + n(15), children: n(16) + n(17) };
  } catch {
    return undefined;
  }
}

/** CPU seconds of one process so far. */
export function processCpuSeconds(pid: number): number {
  const s = stat(pid);
  return s ? s.own / TICKS_PER_SECOND : Number.NaN;
}

/** CPU seconds of a process and all its descendants, live and ended (the postmaster and every backend). */
export function treeCpuSeconds(rootPid: number): number {
  const root = stat(rootPid);
  if (!root) return Number.NaN;
  const byParent = new Map<number, number[]>();
  const stats = new Map<number, Stat>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === rootPid) continue;
    const s = stat(pid);
    if (!s) continue;
    stats.set(pid, s);
    byParent.set(s.ppid, [...(byParent.get(s.ppid) ?? []), pid]);
  }
  let ticks = root.own + root.children;
  const queue = [...(byParent.get(rootPid) ?? [])];
  while (queue.length > 0) {
    const pid = queue.pop()!;
    ticks += stats.get(pid)!.own;
    queue.push(...(byParent.get(pid) ?? []));
  }
  return ticks / TICKS_PER_SECOND;
}
