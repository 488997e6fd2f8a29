import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.ts';

/**
 * A throwaway PostgreSQL cluster of the test's own, on a loopback port, that the test can stop and start the way an
 * outage would. Needs Debian's postgresql binaries (the CI installs them); as root it runs them as `postgres`.
 */
export interface PgCluster {
  url: string;
  port: number;
  start(): void;
  stop(): void;
  /** Stops the server the way a crash would (`pg_ctl -m immediate`): no checkpoint, WAL not yet written is lost. */
  crash(): void;
  destroy(): void;
}

/** The newest Debian PostgreSQL server's bin folder, or undefined when no server is installed. */
export function postgresBinDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'pg_ctl'))) : [];
  return versions.length === 0 ? undefined : join(base, versions.sort((a, b) => Number(a) - Number(b)).at(-1)!, 'bin');
}

/**
 * A new cluster's folder (`<tmp>/<prefix>…`, with the data folder initialized in `data`) and a runner for the server's
 * tools in it. initdb refuses to run as root, so as root the folder belongs to Debian's `postgres` user, who runs them.
 */
export function initClusterFolder(prefix: string): { root: string; dataDir: string; run: (tool: string, args: string[]) => void } {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql (Debian: apt-get install -y postgresql)');
  const root = mkdtempSync(join(tmpdir(), prefix));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(root, uid, gid);
  }
  const run = (tool: string, args: string[]) =>
    void (asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args], { stdio: 'pipe', cwd: root })
      : execFileSync(join(bin, tool), args, { stdio: 'pipe', cwd: root }));
  const dataDir = join(root, 'data');
  try {
    // --no-sync only skips initdb's own flush of the template files; the server's settings are the caller's.
    run('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  return { root, dataDir, run };
}

/** `settings`: more server settings, `name=value` each (passed as `-c`). */
export async function createPgCluster(settings: readonly string[] = []): Promise<PgCluster> {
  const { root, dataDir, run } = initClusterFolder('vigil-pg-');
  const port = await freePort();
  const options = [`-p ${port} -c listen_addresses=127.0.0.1 -k ${root} -c fsync=off`, ...settings.map((s) => `-c ${s}`)].join(' ');
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start: () => run('pg_ctl', ['-D', dataDir, '-l', join(root, 'server.log'), '-w', '-t', '30', '-o', options, 'start']),
    stop: () => run('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', '-t', '30', 'stop']),
    crash: () => run('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', '-t', '30', 'stop']),
    destroy() {
      try {
        run('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      } catch {
        /* already stopped */
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}
