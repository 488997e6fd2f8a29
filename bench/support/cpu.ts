import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU seconds spent by processes, from /proc/<pid>/stat. Throughput on a shared 2-core machine moves with whatever
 * else runs; the CPU each part spends per message moves much less, so the benches report both: which process pays
 * for a message, and the rate the machine's cores would allow if nothing else ran (cores ÷ CPU per message).
 */
const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux the bench targets (getconf CLK_TCK)

interface Stat {
  ppid: number;
  /** utime + stime of the process itself. */
  own: number;
  /** cutime + cstime: children it has waited for (a PostgreSQL backend that ended is counted here by the postmaster). */
  children: number;
}

function stat(pid: number): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses; the fields after the last ')' are fixed.
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), own: (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND, children: (Number(f[13]) + Number(f[14])) / TICKS_PER_SECOND };
  } catch {
    return undefined;
  }
}

/** CPU seconds of one process (all its threads), or undefined once it is gone. */
export function processCpuSeconds(pid: number): number | undefined {
  return stat(pid)?.own;
}

/**
 * CPU seconds of a process and every child it has or had: its own time, the time of children it reaped, and the
 * live children's. For the postmaster that is the whole PostgreSQL server, backends that ended included.
 */
export function treeCpuSeconds(rootPid: number): number {
  const root = stat(rootPid);
  if (!root) return 0;
  return liveChildren(rootPid).reduce((total, c) => total + c.stat.own + c.stat.children, root.own + root.children);
}

/** The live children of a process, with their /proc stat. */
function liveChildren(rootPid: number): { pid: number; stat: Stat }[] {
  const children: { pid: number; stat: Stat }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = stat(Number(entry));
    if (s && s.ppid === rootPid) children.push({ pid: Number(entry), stat: s });
  }
  return children;
}

/**
 * treeCpuSeconds split by what each live child is, from its title (`kindOf` of its command line as `ps` shows it);
 * the children the root reaped are `ended`, the root itself `root`. For PostgreSQL: backends against autovacuum, the
 * checkpointer and the WAL writer, to tell a run's own work from the server's housekeeping.
 */
export function treeCpuByKind(rootPid: number, kindOf: (title: string) => string): Record<string, number> {
  const root = stat(rootPid);
  if (!root) return {};
  const out: Record<string, number> = { root: root.own, ended: root.children };
  for (const { pid, stat: s } of liveChildren(rootPid)) {
    let title = '';
    try {
      title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    } catch {
      continue;
    }
    const kind = kindOf(title);
    out[kind] = (out[kind] ?? 0) + s.own + s.children;
  }
  return out;
}

/** This process's CPU seconds, the load generator's share. */
export function selfCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

export interface CpuMeter {
  /** CPU seconds since the meter started, per named part. */
  read(): Record<string, number>;
}

/** Starts measuring the named parts now; each part is a function returning its cumulative CPU seconds. */
export function cpuMeter(parts: Record<string, () => number | undefined>): CpuMeter {
  const start = Object.fromEntries(Object.entries(parts).map(([k, f]) => [k, f() ?? 0]));
  return {
    read: () => Object.fromEntries(Object.entries(parts).map(([k, f]) => [k, Math.max(0, (f() ?? start[k]!) - start[k]!)])),
  };
}
