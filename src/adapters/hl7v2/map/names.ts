import type { QualityFlag } from '../../../model/quality.ts';
import { at, flag, raw, repetitionCount, type Located } from './segments.ts';

const LOWER = /\p{Ll}/u;
const LETTERS = /\p{L}/gu;

/** A name part written entirely in capitals ("O'BRIEN"); a single capital (a middle initial) is not shouting. */
export function isAllCaps(part: string): boolean {
  return !LOWER.test(part) && (part.match(LETTERS)?.length ?? 0) >= 2;
}

/**
 * Title case for names: each word, and each piece after a hyphen or apostrophe, starts with a capital
 * (O'BRIEN → O'Brien, SMITH-JONES → Smith-Jones). "MCDONALD" becomes "Mcdonald": no rule recovers an inner
 * capital the source never sent, which is why the record is flagged.
 */
export function titleCase(part: string): string {
  return part.toLowerCase().replace(/(^|[\s\-'’])(\p{L})/gu, (_, sep: string, letter: string) => sep + letter.toUpperCase());
}

/** Whitespace collapsed and a part written all in capitals title-cased; `changed` records which, for the quality flags. */
export function tidyNamePart(value: string, changed: { whitespace: boolean; caps: boolean }): string {
  const collapsed = value.trim().replace(/\s+/g, ' ');
  if (collapsed !== value) changed.whitespace = true;
  if (!isAllCaps(collapsed)) return collapsed;
  const cased = titleCase(collapsed);
  if (cased !== collapsed) changed.caps = true;
  return cased;
}

/**
 * PID-5 (XPN): the legal name (type .7 = L) when the source marks one, else the first. Family is .1.1 (the surname
 * without prefixes); given is .2 then the further given names in .3.
 */
export function nameOf(pid: Located, flags: QualityFlag[]): { family?: string; given: string[] } {
  const reps = repetitionCount(pid.seg, 5);
  let rep = 1;
  for (let r = 1; r <= reps; r++) {
    if (raw(pid.seg, 5, r, 7).trim().toUpperCase() === 'L') {
      rep = r;
      break;
    }
  }
  const changed = { whitespace: false, caps: false };
  const family = tidyNamePart(raw(pid.seg, 5, rep, 1, 1), changed);
  const given = [raw(pid.seg, 5, rep, 2), raw(pid.seg, 5, rep, 3)].map((g) => tidyNamePart(g, changed)).filter((g) => g !== '');
  if (changed.whitespace) flag(flags, 'name-whitespace-trimmed', at(pid, 5, rep));
  if (changed.caps) flag(flags, 'name-case-normalized', at(pid, 5, rep));
  return { ...(family ? { family } : {}), given };
}
