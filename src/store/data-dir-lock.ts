import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DataDirLockedError } from '../errors.ts';

/**
 * PGlite does not stop two processes from opening one data folder, and the second one's commits are silently lost.
 * So the owner takes this lock first: a file created with O_EXCL holding its pid. A lock left by a dead process on
 * this host is stale and is taken over.
 */
export interface DataDirLock {
  path: string;
  release(): void;
}

const LOCK_NAME = 'vigil.lock';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function acquireDataDirLock(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, LOCK_NAME);
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readHolder(path);
      if (holder && holder.host === hostname() && !isAlive(holder.pid)) {
        try {
          unlinkSync(path);
        } catch {
          /* another starter removed it first; try again */
        }
        continue;
      }
      throw new DataDirLockedError(
        `The data folder ${dataDir} is in use by another Vigil process${holder ? ` (pid ${holder.pid} on ${holder.host})` : ''}. ` +
          'Stop that process, or give this one its own VIGIL_DATA_DIR. Two processes on one embedded database would lose data.',
      );
    }
    writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() }));
    closeSync(fd);
    let released = false;
    return {
      path,
      release() {
        if (released) return;
        released = true;
        const holder = readHolder(path);
        if (holder?.pid === process.pid) unlinkSync(path);
      },
    };
  }
  throw new DataDirLockedError(`Could not take the lock on ${dataDir}; another process keeps taking it. Try again.`);
}

function readHolder(path: string): { pid: number; host: string } | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown; host?: unknown };
    return typeof parsed.pid === 'number' && typeof parsed.host === 'string' ? { pid: parsed.pid, host: parsed.host } : undefined;
  } catch {
    return undefined;
  }
}
