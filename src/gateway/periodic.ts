import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A background job's loop: run a round, then wait the interval, until stopped. A round that reports more work waiting
 * runs again at once; a round that throws is reported and the loop goes on (a job must outlive a database hiccup).
 * stop() interrupts the wait and resolves once the round in flight has finished.
 */
export class Periodic {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly abort = new AbortController();

  constructor(
    private readonly intervalMs: number,
    private readonly round: () => Promise<boolean | void>,
    private readonly onError: (err: unknown) => void,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const more = await this.round().catch((err: unknown) => {
          this.onError(err);
          return false;
        });
        if (more === true) continue;
        await sleep(this.intervalMs, undefined, { signal: this.abort.signal }).catch(() => undefined);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort();
    await this.loop;
  }
}
