import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

/** The machine and software a run measured, written next to the figures. */
export interface MachineDescription {
  cpuModel: string;
  cores: number;
  totalMemoryGiB: number;
  node: string;
  os: string;
  packages: Record<string, string>;
  commit: string;
}

/** The 1-minute load average: other work on the machine (a test run, a build) shows here and skews the figures. */
export function loadAverage(): number {
  return Math.round(os.loadavg()[0]! * 100) / 100;
}

function installedVersion(name: string): string {
  try {
    const manifest = JSON.parse(readFileSync(join(process.cwd(), 'node_modules', name, 'package.json'), 'utf8')) as { version?: string };
    return manifest.version ?? 'unknown';
  } catch {
    return 'not installed';
  }
}

function gitCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    // The results file itself is rewritten by every run, so it does not count as a change to what was measured.
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', '.', ':(exclude)bench/RESULTS.md'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return dirty ? `${head} (with uncommitted changes)` : head;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

export function describeMachine(): MachineDescription {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() || 'unknown',
    cores: cpus.length,
    totalMemoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()} (${os.platform()}/${os.arch()})`,
    packages: Object.fromEntries(['fastify', '@electric-sql/pglite', 'pg', 'kysely', 'pino', 'autocannon'].map((n) => [n, installedVersion(n)])),
    commit: gitCommit(),
  };
}

/** The "Machine" table of a results file: where the figures were measured, and how busy the machine was around them. */
export function machineTableLines(m: MachineDescription, postgresServer: string | undefined, load: { before: number; after: number }): string[] {
  return [
    '| | |',
    '|---|---|',
    `| CPU | ${m.cpuModel} |`,
    `| cores | ${m.cores} |`,
    `| memory | ${m.totalMemoryGiB} GiB |`,
    `| Node | ${m.node} |`,
    `| OS | ${m.os} |`,
    `| packages | ${Object.entries(m.packages).map(([name, version]) => `${name} ${version}`).join(', ')} |`,
    `| PostgreSQL server | ${postgresServer ?? 'not used in this run'} |`,
    `| commit | ${m.commit} |`,
    `| 1-min load average | ${load.before} at the start, ${load.after} at the end (includes this run's own load) |`,
  ];
}
