/**
 * Waits for `work` at most `ms` milliseconds: true if it settled in time. The timer is cleared either way, so a
 * process that has finished its work is not kept alive by a grace period it no longer needs.
 */
export async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
