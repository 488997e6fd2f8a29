/**
 * Polls `probe` until it returns something truthy, for state that a worker or the gateway reaches on its own time.
 * The 50 ms step is short enough to keep tests quick and long enough not to crowd the database being watched.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
