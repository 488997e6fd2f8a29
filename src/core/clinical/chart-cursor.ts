import { createHash } from 'node:crypto';
import { validate as isUuid } from 'uuid';
import { VigilError } from '../../errors.ts';

/**
 * Cursors for keyset paging (the chart's sections, Patient/$everything): where the last page ended, as the sort key
 * and id of its last row, bound by a checksum to the patient and the list it came from. The checksum is not a secret
 * and does not guard anything (every page is read under the caller's own access rules, whatever the cursor says): it
 * turns a cursor from another patient's chart, another section or an edited one into a clear 400 instead of a page
 * that silently starts somewhere else.
 */
export class InvalidCursorError extends VigilError {
  constructor() {
    super('invalid-cursor', 400, 'This paging cursor does not belong to this list of this patient, or was altered. Start again from the first page.');
  }
}

export interface Position {
  /** For lists made of several ranked parts (Patient/$everything): the part the last row was in. */
  rank: number;
  /** The row's sort key as PostgreSQL prints a timestamptz (`-infinity` for a row without a time). */
  at: string;
  id: string;
}

// What PostgreSQL prints for a timestamptz with the session's ISO DateStyle, or ±infinity (rows without a time, the start of a list).
const TIMESTAMP = /^(-?infinity|\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2}){0,2})$/;

/** The checksum is public, so a forged cursor could carry a calendar date that does not exist: refuse it here, not in SQL. */
function realTime(at: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})/.exec(at);
  if (!m) return at === 'infinity' || at === '-infinity';
  const [y, mo, d, h, mi, sec] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const t = new Date(Date.UTC(y, mo - 1, d, h, mi, sec));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d && t.getUTCHours() === h && t.getUTCMinutes() === mi && t.getUTCSeconds() === sec;
}

const checksum = (patientId: string, list: string, p: Position) =>
  createHash('sha256').update(`vigil-cursor-1\n${patientId}\n${list}\n${p.rank}\n${p.at}\n${p.id}`).digest('base64url').slice(0, 16);

export function encodeCursor(patientId: string, list: string, p: Position): string {
  return Buffer.from(JSON.stringify([p.rank, p.at, p.id, checksum(patientId, list, p)])).toString('base64url');
}

export function decodeCursor(patientId: string, list: string, cursor: string): Position {
  let parts: unknown;
  try {
    if (!/^[A-Za-z0-9_-]{1,400}$/.test(cursor)) throw new InvalidCursorError();
    parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
  if (!Array.isArray(parts) || parts.length !== 4) throw new InvalidCursorError();
  const [rank, at, id, sum] = parts as unknown[];
  if (typeof rank !== 'number' || !Number.isInteger(rank) || rank < 0 || rank > 100) throw new InvalidCursorError();
  if (typeof at !== 'string' || !TIMESTAMP.test(at) || !realTime(at) || typeof id !== 'string' || !isUuid(id) || typeof sum !== 'string') throw new InvalidCursorError();
  const position = { rank, at, id };
  if (sum !== checksum(patientId, list, position)) throw new InvalidCursorError();
  return position;
}
