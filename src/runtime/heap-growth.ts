import { setFlagsFromString } from 'node:v8';

/**
 * After each full collection V8 lets the old generation grow to between 1.1 and 4 times what survived, by how cheap it
 * found collecting. A gateway worker allocates fast and collects cheaply, so it took the high end: over a 10-minute
 * soak it held 33–35 MiB of live objects while its resident size swung between 175 and 270 MiB, and in one run ended
 * 21% above where it began. A fixed factor keeps the resident size near what is live; measured on the same soak, 50%
 * kept the worker at 175–178 MiB with about as many full collections (57 against 55 in 4 minutes) and no CPU change
 * we could tell from noise (bench/RESULTS.md, docs/gateway.md "Benchmarks").
 *
 * The flag is read each time V8 sets the next limit, so setting it at start-up, before the process has grown, applies
 * it for the process's life (checked: the heap of a processor draining 7,918 messages peaked at 75 MiB with the flag
 * given on the command line or set here, and at 126 MiB without). 0 leaves V8's own sizing.
 */
export function fixHeapGrowth(percent: number): void {
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${Math.round(percent)}`);
}
