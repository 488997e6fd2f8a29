/**
 * The demographic fields a pair is compared on and the comparison levels of each, best agreement first. Missing (either
 * side has nothing usable) is not a level: it carries no weight. Identifiers are judged apart (match.ts), because they
 * decide rather than weigh.
 */
export const FIELD_LEVELS = {
  given: ['exact', 'nickname', 'similar', 'partial', 'disagree'],
  family: ['exact', 'similar', 'part', 'disagree'],
  birthDate: ['exact', 'transposed', 'near', 'disagree'],
  sex: ['agree', 'disagree'],
  /**
   * Telephone and home address together: household members share both, so as two independent fields they would count
   * one fact (living together) twice. One joint field weighs each combination by how often strangers show it.
   */
  contact: ['phone-and-address', 'phone', 'address', 'area', 'disagree'],
} as const;

export type FieldName = keyof typeof FIELD_LEVELS;
export type FieldLevel<F extends FieldName> = (typeof FIELD_LEVELS)[F][number];
export const FIELDS = Object.keys(FIELD_LEVELS) as FieldName[];

/** The level index a comparator returns when either side lacks the field. */
export const MISSING = -1;

type LevelIndex<L extends readonly string[]> = { readonly [K in L[number]]: number };
function indexOf<L extends readonly string[]>(levels: L): LevelIndex<L> {
  return Object.fromEntries(levels.map((level, i) => [level, i])) as LevelIndex<L>;
}

/** Level indices by name, for the comparators: `LEVEL.given.nickname`. */
export const LEVEL = {
  given: indexOf(FIELD_LEVELS.given),
  family: indexOf(FIELD_LEVELS.family),
  birthDate: indexOf(FIELD_LEVELS.birthDate),
  sex: indexOf(FIELD_LEVELS.sex),
  contact: indexOf(FIELD_LEVELS.contact),
};

/** Levels of the two parts of `contact`, which the comparators answer separately. */
export const PHONE = { exact: 0, similar: 1, disagree: 2 } as const;
export const ADDRESS = { exact: 0, area: 1, disagree: 2 } as const;
