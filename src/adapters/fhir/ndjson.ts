import { isObject } from './json.ts';

export interface NdjsonLines {
  /** Each line that holds a JSON object, parsed, in order. */
  lines: unknown[];
  /** The 1-based line number of each element of `lines`, so results can be reported per line. */
  lineNumbers: number[];
  /** Lines that are not a JSON object; the reason never quotes the line (JSON.parse's messages do, so they are dropped). */
  errors: { line: number; reason: string }[];
}

/**
 * FHIR bulk data NDJSON: one resource per line, LF or CRLF, blank lines skipped, a byte order mark at the start
 * tolerated. A broken line does not stop the rest. Map each line with mapFhirPayload, or wrap the lines as the entries
 * of a collection Bundle when references between lines should resolve.
 */
export function splitNdjson(text: string): NdjsonLines {
  const out: NdjsonLines = { lines: [], lineNumbers: [], errors: [] };
  const rows = text.replace(/^\uFEFF/, '').split('\n');
  rows.forEach((row, i) => {
    const line = row.endsWith('\r') ? row.slice(0, -1) : row;
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      out.errors.push({ line: i + 1, reason: 'The line is not valid JSON.' });
      return;
    }
    if (!isObject(value)) {
      out.errors.push({ line: i + 1, reason: 'The line is not a JSON object; each line must hold one FHIR resource.' });
      return;
    }
    out.lines.push(value);
    out.lineNumbers.push(i + 1);
  });
  return out;
}
