/** Why a request got no usable answer, in words for the person looking at the page. */
export class NoAnswer extends Error {}

/**
 * GETs a same-origin JSON endpoint. A 503 still carries a body worth reading (readiness explains itself), so the
 * caller decides which statuses it accepts.
 */
export async function fetchJson(path: string, timeoutMs: number, accept: (status: number) => boolean): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(path, { cache: 'no-store', headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const timedOut = err instanceof DOMException && err.name === 'TimeoutError';
    throw new NoAnswer(timedOut ? `no answer within ${Math.round(timeoutMs / 1000)} s` : 'the connection failed');
  }
  if (!accept(response.status)) throw new NoAnswer(`it answered HTTP ${response.status}`);
  try {
    return await response.json();
  } catch {
    throw new NoAnswer(`it answered HTTP ${response.status} without a readable report`);
  }
}
