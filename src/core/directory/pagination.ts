import { InvalidCursorError } from './errors.ts';
import { validate as isUuid } from 'uuid';

/**
 * Keyset pagination by id. Ids are UUID v7, so id order is creation order, a page never shifts when rows are added
 * behind it, and no page costs more than the ones before it (unlike OFFSET). The cursor is opaque to callers.
 */
export interface PageRequest {
  limit?: number;
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 200;


export function encodeCursor(lastId: string): string {
  return Buffer.from(`v1:${lastId}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const text = /^[A-Za-z0-9_-]{1,80}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const id = text.startsWith('v1:') ? text.slice(3) : '';
  if (!isUuid(id)) throw new InvalidCursorError();
  return id;
}

export function clampLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_LIMIT;
  return Math.min(Math.max(Math.trunc(limit), 1), MAX_LIMIT);
}

/** What a list query needs: how many rows to fetch (one more than the page, to tell whether another page exists) and the id to start after. */
export function pageWindow(page: PageRequest): { limit: number; fetch: number; after: string | undefined } {
  const limit = clampLimit(page.limit);
  return { limit, fetch: limit + 1, after: decodeCursor(page.cursor) };
}

export function toPage<R extends { id: string }, T>(rows: readonly R[], limit: number, map: (row: R) => T): Page<T> {
  const more = rows.length > limit;
  const pageRows = more ? rows.slice(0, limit) : rows;
  return { items: pageRows.map(map), nextCursor: more ? encodeCursor(pageRows.at(-1)!.id) : null };
}
