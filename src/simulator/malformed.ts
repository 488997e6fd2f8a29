import type { SeededRandom } from './random.ts';

/**
 * Ways real messages arrive broken, each answered differently by Vigil: a message cut off in its last segment (AR,
 * truncated), one without a patient identifier (AE, required field missing), bytes that are not HL7 at all (AR), and
 * a version Vigil does not accept (AR).
 */
export type Breakage = 'truncated' | 'no-patient-id' | 'garbage' | 'bad-version';

export const BREAKAGES: readonly Breakage[] = ['truncated', 'no-patient-id', 'garbage', 'bad-version'];

export const BREAKAGE_ACK: Readonly<Record<Breakage, 'AE' | 'AR'>> = { truncated: 'AR', 'no-patient-id': 'AE', garbage: 'AR', 'bad-version': 'AR' };

/** Cut inside the last segment, after its id: the final carriage return never arrives. */
export function truncate(rng: SeededRandom, text: string): string {
  const body = text.endsWith('\r') ? text.slice(0, -1) : text;
  const lastStart = body.lastIndexOf('\r') + 1;
  return body.slice(0, rng.int(lastStart + 4, Math.max(lastStart + 4, body.length - 1)));
}

export function withoutPatientId(text: string): string {
  return text
    .split('\r')
    .map((s) => {
      if (!s.startsWith('PID|')) return s;
      const fields = s.split('|');
      fields[3] = '';
      return fields.join('|');
    })
    .join('\r');
}

export function withVersion(text: string, version: string): string {
  const [first, ...rest] = text.split('\r');
  const fields = first!.split('|');
  fields[11] = version;
  return [fields.join('|'), ...rest].join('\r');
}

/** MSH-10 is the tenth field counting MSH-1 (the separator itself), so index 9 after splitting on `|`. */
export function withControlId(text: string, controlId: string): string {
  const [first, ...rest] = text.split('\r');
  const fields = first!.split('|');
  fields[9] = controlId;
  return [fields.join('|'), ...rest].join('\r');
}

const GARBAGE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .,;:-_/#*+=!?\r\u0002\u0007';

/** Printable noise with a few control characters, never an HL7 header and never an MLLP framing byte. */
export function garbage(rng: SeededRandom): string {
  for (;;) {
    let out = '';
    const length = rng.int(40, 240);
    for (let i = 0; i < length; i++) out += GARBAGE_ALPHABET[rng.int(0, GARBAGE_ALPHABET.length - 1)];
    if (!/MSH|FHS|BHS/.test(out)) return out;
  }
}
