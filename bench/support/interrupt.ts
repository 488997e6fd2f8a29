import { rmSync } from 'node:fs';
import { dropAllBenchDatabases } from '../postgres-bench-database.ts';
import { killAllTargets } from '../target-process.ts';

/**
 * Ctrl-C or SIGTERM in the middle of a bench: the servers it started are killed, its bench databases dropped and its
 * work folder removed before it exits with 130, so an interrupted run leaves nothing behind.
 */
export function cleanUpOnInterrupt(workDir: string): void {
  let interrupted = false;
  const onInterrupt = () => {
    if (interrupted) return;
    interrupted = true;
    console.log('\ninterrupted: stopping servers and removing the bench database and data folder');
    killAllTargets();
    void dropAllBenchDatabases().finally(() => {
      rmSync(workDir, { recursive: true, force: true });
      process.exit(130);
    });
  };
  process.once('SIGINT', onInterrupt);
  process.once('SIGTERM', onInterrupt);
}
