import type { PillTone } from '../components/Pill.tsx';
import type { MatchState, Verdict } from './types.ts';

/**
 * Words for the review queue: what each comparison verdict and matcher level means, why a pair was held, and what
 * each decision does. The reviewer decides on these words; colour only repeats them.
 */

export const STATE_WORDS: Record<MatchState, { label: string; tone: PillTone }> = {
  open: { label: 'Waiting for review', tone: 'warn' },
  linked: { label: 'Linked', tone: 'ok' },
  'not-a-match': { label: 'Not a match', tone: 'unknown' },
};

export const VERDICT_WORDS: Record<Verdict, { icon: string; label: string }> = {
  same: { icon: '✓', label: 'Same' },
  similar: { icon: '≈', label: 'Similar' },
  different: { icon: '✗', label: 'Different' },
  'one-side': { icon: '◐', label: 'Only on one side' },
  neither: { icon: '–', label: 'Neither has it' },
  'cannot-compare': { icon: '?', label: 'Cannot compare' },
};

export const FIELD_NAMES: Record<string, string> = {
  family: 'Family name',
  given: 'Given names',
  birthDate: 'Birth date',
  sex: 'Sex',
  address: 'Address',
  phone: 'Phone',
  contact: 'Phone and address',
  identifier: 'Identifiers',
};

/** The matcher's comparison levels (src/model/identity/fields.ts) in words, by field. */
const LEVELS: Record<string, Record<string, string>> = {
  given: { exact: 'identical', nickname: 'a nickname of the other', similar: 'spelled slightly differently', partial: 'only an initial or a middle name agrees', disagree: 'different names' },
  family: { exact: 'identical', similar: 'spelled slightly differently', part: 'one is part of a compound name', disagree: 'different names' },
  birthDate: { exact: 'identical', transposed: 'day and month swapped', near: 'close: a typing slip', disagree: 'different dates' },
  sex: { agree: 'identical', disagree: 'different' },
  phone: { exact: 'identical', similar: 'nearly the same number', disagree: 'different numbers' },
  address: { exact: 'identical', area: 'same area, different street', disagree: 'different addresses' },
  contact: { 'phone-and-address': 'phone and address both agree', phone: 'phone agrees', address: 'address agrees', area: 'same area only', disagree: 'neither agrees' },
  identifier: { shared: 'a shared identifier', conflict: 'same issuer, different number', 'shared-and-conflict': 'one number shared, another issuer’s number differs', none: 'no identifier in common' },
};

export function levelText(field: string, level: string | null): string {
  if (!level || level === 'missing') return 'nothing to compare';
  return LEVELS[field]?.[level] ?? level;
}

/** Why the resolver would not link the pair itself. */
const CONFLICTS: Record<string, string> = {
  'identifier-conflict':
    'Both carry an identifier from the same issuer, with different numbers. One issuer gives one person one number, so these are two people, or one person registered twice. Vigil never links across that on its own.',
  'given-name-disagrees':
    'The given names disagree. A household shares family name, address and phone; twins, a parent and a child differ exactly in the given name.',
  'birth-date-disagrees': 'The birth dates disagree, while much else agrees: a parent and a child of the same name look like this.',
  'sex-disagrees': 'The recorded sex disagrees, while much else agrees.',
  'birth-date-missing': 'One side has no birth date, and it is what tells a parent from a child of the same name in one household.',
};

export function heldBecause(conflict: string | null, rule: string | null): string {
  if (conflict && CONFLICTS[conflict]) return CONFLICTS[conflict]!;
  if (rule === 'same-identifier') return 'They share an identifier, but so does another patient: Vigil cannot tell which one it is.';
  return 'The matcher’s weight is between its thresholds: alike enough to be one person, not enough to link without a person.';
}

export function heldShort(conflict: string | null, rule: string | null): string {
  if (conflict === 'identifier-conflict') return 'Conflicting identifier';
  if (conflict === 'given-name-disagrees') return 'Given names disagree';
  if (conflict === 'birth-date-disagrees') return 'Birth dates disagree';
  if (conflict === 'sex-disagrees') return 'Sex disagrees';
  if (conflict === 'birth-date-missing') return 'Birth date missing';
  if (rule === 'same-identifier') return 'Identifier shared by several patients';
  return 'Weight between thresholds';
}

export const LINK_REASONS: Record<string, string> = {
  'new-patient': 'made a new patient',
  'same-identifier': 'linked by a shared identifier',
  probabilistic: 'linked by the matcher',
  'source-merge': 'merged by its source',
  person: 'linked by a person',
};

/** Each link decision of the identity history (identity_link_events.decision) in words. */
export const DECISION_WORDS: Record<string, string> = {
  'new-patient': 'New patient made for the record',
  'same-identifier': 'Linked by a shared identifier',
  probabilistic: 'Linked by the matcher',
  'source-merge': 'Merged by its source',
  'moved-by-merge': 'Moved along with a source merge',
  unmerge: 'Merge undone',
  'source-link': 'Linked by its source',
  'moved-by-link': 'Moved along with a source link',
  'source-unlink': 'Link undone by its source',
  'source-not-linked': 'Its source says: not the same person',
  'person-unlink-source': 'Source link undone by a person',
  'person-link': 'Linked by a person',
  'person-unlink': 'Link undone',
  'person-split': 'Split off by a person',
  'person-unsplit': 'Split undone',
};

const SEX: Record<string, string> = { female: 'Female', male: 'Male', other: 'Other', unknown: 'Unknown' };

export function sexText(sex: string | null | undefined): string | undefined {
  return sex ? (SEX[sex] ?? sex) : undefined;
}

/** "Family, Given Middle", as on a wristband. */
export function personName(d: { family: string | null; given: string[] }): string {
  const given = d.given.join(' ');
  if (d.family && given) return `${d.family}, ${given}`;
  return d.family ?? (given || 'No name');
}
