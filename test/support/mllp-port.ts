import type { VigilProcess } from './vigil-process.ts';

/** The MLLP port a `vigil start` child listens on, read from its `mllp.listening` log line. */
export async function mllpPortOf(p: VigilProcess, timeoutMs = 30_000): Promise<number> {
  await p.url;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const m = /"port":(\d+),"msg":"mllp\.listening"/.exec(p.output());
    if (m) return Number(m[1]);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the process never said it listens for MLLP');
}
