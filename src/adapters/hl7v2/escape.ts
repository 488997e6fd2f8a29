export interface Hl7Delimiters {
  field: string;
  component: string;
  repetition: string;
  escape: string;
  subcomponent: string;
  /** MSH-2's fifth character (v2.7+): marks a value the sender truncated. Absent before v2.7. */
  truncation?: string;
}

export const DEFAULT_DELIMITERS: Readonly<Hl7Delimiters> = Object.freeze({
  field: '|',
  component: '^',
  repetition: '~',
  escape: '\\',
  subcomponent: '&',
});

/**
 * What decoding found that it could not turn into text. Only the kind of sequence is kept (e.g. `H`, `Z`, `.sp`),
 * never its argument, so a report can be logged.
 */
export interface EscapeReport {
  unknown: string[];
  unterminated: boolean;
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

function decodeHex(hex: string): string | undefined {
  if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9A-Fa-f]+$/.test(hex)) return undefined;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  // The bytes are in the message's character set; UTF-8 is what our feeds send, and a byte run that is not valid
  // UTF-8 is far more likely to be ISO 8859-1 (the other charset seen in the corpus) than garbage.
  try {
    return utf8Strict.decode(bytes);
  } catch {
    return latin1.decode(bytes);
  }
}

function kindOf(body: string): string {
  if (body.startsWith('.')) return body.slice(0, 3);
  return body.slice(0, 1);
}

/**
 * Decodes the escape sequences of one leaf value (a component or subcomponent already split on raw delimiters,
 * which is safe because an escaped delimiter never appears raw). Unknown sequences stay verbatim so nothing the
 * sender wrote is silently lost; they are counted in `report` when one is passed.
 */
export function decodeEscapes(raw: string, d: Hl7Delimiters, report?: EscapeReport): string {
  const esc = d.escape;
  let at = raw.indexOf(esc);
  if (at < 0) return raw;
  let out = '';
  let from = 0;
  while (at >= 0) {
    const close = raw.indexOf(esc, at + 1);
    if (close < 0) {
      if (report) report.unterminated = true;
      break;
    }
    const body = raw.slice(at + 1, close);
    let text: string | undefined;
    switch (body) {
      case 'F': text = d.field; break;
      case 'S': text = d.component; break;
      case 'T': text = d.subcomponent; break;
      case 'R': text = d.repetition; break;
      case 'E': text = d.escape; break;
      case 'P': text = d.truncation; break;
      case '.br': text = '\n'; break;
      default:
        if (body.length > 1 && (body[0] === 'X' || body[0] === 'x')) text = decodeHex(body.slice(1));
    }
    if (text === undefined) {
      if (report) report.unknown.push(kindOf(body));
      text = raw.slice(at, close + 1);
    }
    out += raw.slice(from, at) + text;
    from = close + 1;
    at = raw.indexOf(esc, from);
  }
  return out + raw.slice(from);
}

/** The inverse, for building messages in tests and ACKs: every delimiter in `text` becomes its escape sequence. */
export function encodeEscapes(text: string, d: Hl7Delimiters): string {
  let out = '';
  for (const ch of text) {
    if (ch === d.escape) out += `${d.escape}E${d.escape}`;
    else if (ch === d.field) out += `${d.escape}F${d.escape}`;
    else if (ch === d.component) out += `${d.escape}S${d.escape}`;
    else if (ch === d.subcomponent) out += `${d.escape}T${d.escape}`;
    else if (ch === d.repetition) out += `${d.escape}R${d.escape}`;
    else if (d.truncation !== undefined && ch === d.truncation) out += `${d.escape}P${d.escape}`;
    else if (ch === '\r') out += `${d.escape}X0D${d.escape}`;
    else if (ch === '\n') out += `${d.escape}.br${d.escape}`;
    else out += ch;
  }
  return out;
}
