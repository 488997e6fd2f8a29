import { createHash } from 'node:crypto';

/** `system|value`: how an identifier is keyed in the index and in a source's record key. */
export function identifierKey(system: string, value: string): string {
  return `${system}|${value}`;
}

/**
 * What a parked message waits for, written so that the inbox never holds an identifier in clear: a hash of the
 * identifier key, the same on every process.
 */
export function waitKey(system: string, value: string): string {
  return createHash('sha256').update('vigil-wait|').update(identifierKey(system, value)).digest('base64url').slice(0, 22);
}

/** Identifier systems Vigil made up for identifiers that came without an assigning authority: never matched on. */
export function isMatchableSystem(system: string): boolean {
  return !system.startsWith('urn:vigil:authority:unknown');
}
