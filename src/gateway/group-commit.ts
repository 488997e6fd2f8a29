import type { ArchiveKeys } from '../controls/keys/archive-keys.ts';
import type { Db } from '../store/store.ts';
import { storeArrivals, type Arrival, type Stored } from './inbox.ts';

/**
 * Group commit for the inbox. Every commit waits for a WAL flush, and a sender waits for our answer before it sends
 * again, so one commit per message caps the intake at what the disk flushes per second. Here arrivals from all
 * connections that come while a commit is in flight (or in the same turn of the event loop) are stored together by
 * the next one: one statement, one commit. Each caller's promise settles only after the commit holding its message,
 * so nothing is acknowledged before it is durable, and when a batch fails every caller in it gets the error (and its
 * sender a negative answer): none of them is acknowledged.
 */
export interface GroupCommitOptions {
  /** Arrivals in one statement at most (18 parameters each; PostgreSQL allows 65,535 per statement). */
  maxBatch?: number;
  /** Raw bytes in one statement at most (default 8 MiB; a single larger arrival still goes, alone). */
  maxBatchBytes?: number;
  /**
   * Batches being committed at once (default 4). One at a time makes the largest batches, but on a busy machine every
   * round trip then waits for the scheduler; letting a sizeable batch (minParallelBatch) start beside the one in flight
   * hides that. Measured on 2 shared cores at 32 connections: 1 at a time 1,133–1,329 msg/s, 4 with a minimum of 8
   * 1,811–2,020 msg/s, at about the same CPU per message; 2 with no minimum cost a third more CPU per message. A
   * minimum of 4 helped 8 connections (1,069 msg/s against 617–793) but cost 30% more CPU per message at 32.
   */
  maxInFlight?: number;
  /** Arrivals that must be waiting before a batch starts while another is in flight (default 8). */
  minParallelBatch?: number;
}

interface Waiting {
  db: Db;
  arrival: Arrival;
  resolve: (stored: Stored) => void;
  reject: (err: unknown) => void;
}

export class GroupCommit {
  private readonly queue: Waiting[] = [];
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  private readonly maxBatchBytes: number;
  private readonly minParallelBatch: number;
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly keys: ArchiveKeys,
    options: GroupCommitOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 256;
    this.maxInFlight = options.maxInFlight ?? 4;
    this.maxBatchBytes = options.maxBatchBytes ?? 8 * 1024 * 1024;
    this.minParallelBatch = options.minParallelBatch ?? 8;
    if (!Number.isSafeInteger(this.maxBatch) || this.maxBatch < 1 || this.maxBatch > 3000) throw new RangeError('GroupCommit maxBatch must be 1..3000.');
    if (!Number.isSafeInteger(this.maxInFlight) || this.maxInFlight < 1) throw new RangeError('GroupCommit maxInFlight must be a positive integer.');
    if (!Number.isSafeInteger(this.minParallelBatch) || this.minParallelBatch < 1) throw new RangeError('GroupCommit minParallelBatch must be a positive integer.');
    if (!Number.isSafeInteger(this.maxBatchBytes) || this.maxBatchBytes < 1) throw new RangeError('GroupCommit maxBatchBytes must be a positive integer.');
  }

  /** Resolves once the arrival is committed (or recognised as a repeat of a committed message). */
  store(db: Db, arrival: Arrival): Promise<Stored> {
    return new Promise((resolve, reject) => {
      this.queue.push({ db, arrival, resolve, reject });
      this.schedule();
    });
  }

  /** Another batch starts beside the ones in flight only when this many wait: small batches cost more per message. */
  private canStart(): boolean {
    return this.queue.length > 0 && (this.inFlight === 0 || (this.inFlight < this.maxInFlight && this.queue.length >= this.minParallelBatch));
  }

  private schedule(): void {
    if (this.scheduled || !this.canStart()) return;
    this.scheduled = true;
    // The rest of this turn's arrivals (other connections' frames decoded from the same read) join the batch.
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.canStart()) {
      const db = this.queue[0]!.db;
      let n = 0;
      let bytes = 0;
      while (n < this.queue.length && n < this.maxBatch && this.queue[n]!.db === db) {
        bytes += this.queue[n]!.arrival.raw.length;
        if (n > 0 && bytes > this.maxBatchBytes) break;
        n++;
      }
      const batch = this.queue.splice(0, n);
      this.inFlight++;
      void this.commit(db, batch).finally(() => {
        this.inFlight--;
        this.schedule();
      });
    }
  }

  private async commit(db: Db, batch: Waiting[]): Promise<void> {
    let stored: Stored[];
    try {
      stored = await storeArrivals(db, this.keys, batch.map((w) => w.arrival));
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    for (const [i, w] of batch.entries()) w.resolve(stored[i]!);
  }
}
