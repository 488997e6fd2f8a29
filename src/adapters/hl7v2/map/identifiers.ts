import type { Identifier } from '../../../model/clinical.ts';
import type { QualityFlag } from '../../../model/quality.ts';
import { identifierSystem } from '../../source-profile.ts';
import type { MapContext } from './context.ts';
import { at, flag, repetitionCount, text, type Located } from './segments.ts';

/** System of identifiers whose assigning authority nobody knows; the identity index never matches on it. */
export const UNKNOWN_AUTHORITY_SYSTEM = 'urn:vigil:authority:unknown';

/**
 * One CX repetition (PID-3, MRG-1): value .1, assigning authority .4 (namespace, else universal id), type .5.
 * Without an authority the profile's default is assumed (flagged), or the identifier is kept under the unknown
 * system with no `authority` (flagged), so callers can tell it apart. Undefined when the value is empty.
 */
export function identifierAt(loc: Located, field: number, rep: number, ctx: MapContext, flags: QualityFlag[]): Identifier | undefined {
  const value = text(loc.seg, field, rep, 1);
  if (value === '') return undefined;
  const type = text(loc.seg, field, rep, 5);
  const stated = text(loc.seg, field, rep, 4, 1) || text(loc.seg, field, rep, 4, 2);
  const base = { value, ...(type ? { type } : {}) };
  if (stated) return { system: identifierSystem(ctx.profile, stated), authority: stated, ...base };
  const fallback = ctx.profile.identifiers.defaultAuthority;
  if (fallback) {
    flag(flags, 'identifier-authority-defaulted', at(loc, field, rep));
    return { system: identifierSystem(ctx.profile, fallback), authority: fallback, ...base };
  }
  flag(flags, 'identifier-authority-missing', at(loc, field, rep));
  return { system: UNKNOWN_AUTHORITY_SYSTEM, ...base };
}

export function identifiersAt(loc: Located, field: number, ctx: MapContext, flags: QualityFlag[]): Identifier[] {
  const out: Identifier[] = [];
  for (let rep = 1; rep <= repetitionCount(loc.seg, field); rep++) {
    const id = identifierAt(loc, field, rep, ctx, flags);
    if (id) out.push(id);
  }
  return out;
}
