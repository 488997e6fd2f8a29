import { computeBlockingKeys } from './blocking.ts';
import { nearNicknameGroups, nicknameGroups } from './nicknames.ts';
import { nameTokens, normalizeIdentifierValue, normalizePhone, normalizePostalCode, normalizeText, parseAddressLine, parseBirthDate, type BirthDate } from './normalize.ts';
import { phoneticKey } from './phonetic.ts';

/** What the matcher needs of one source's account of a person (a projection of the model's PatientRecordInput). */
export interface MatchRecord {
  id: string;
  identifiers: { system: string; value: string }[];
  family?: string;
  given: string[];
  /** YYYY-MM-DD */
  birthDate?: string;
  sex?: 'female' | 'male' | 'other' | 'unknown';
  phone?: string;
  address?: { line?: string; city?: string; postalCode?: string };
}

/**
 * A record with every field normalized once and the phonetic and blocking keys computed, so that an index keeps these
 * and scoring a pair does no parsing. Empty string means missing.
 */
export interface ComparableRecord {
  readonly id: string;
  readonly identifiers: readonly { readonly system: string; readonly value: string }[];
  /** First given name; may be a single initial. */
  readonly given: string;
  /** Middle names and initials after the first. */
  readonly givenOthers: readonly string[];
  /** Formal names the first given name can stand for (nicknames.ts). */
  readonly givenGroups: readonly string[];
  /** The same, allowing one typing slip in a name the table does not know (nearNicknameGroups). */
  readonly givenNearGroups: readonly string[];
  /** Phonetic key of the first given name's formal form, for blocking. */
  readonly givenKey: string;
  /** Family name words joined without separators: GARCIA-LOPEZ and GARCIA LOPEZ are both GARCIALOPEZ. */
  readonly family: string;
  readonly familyTokens: readonly string[];
  readonly familyPhonetic: string;
  readonly birth: BirthDate | undefined;
  readonly sex: 'F' | 'M' | '';
  readonly phone: string;
  readonly house: string;
  readonly street: string;
  readonly unit: string;
  readonly postalCode: string;
  readonly city: string;
  readonly blockingKeys: readonly string[];
}

/** A formal name to block on, so that Bill and William land in one block; names the table does not know stand for themselves. */
function formalName(name: string, groups: readonly string[]): string {
  if (groups.length === 0 || groups.includes(name)) return name;
  return groups[0]!;
}

export function comparableRecord(r: MatchRecord): ComparableRecord {
  const givenTokens = r.given.flatMap((g) => nameTokens(g));
  const given = givenTokens[0] ?? '';
  const givenGroups = given.length > 1 ? nicknameGroups(given) : [];
  const familyTokens = nameTokens(r.family);
  const family = familyTokens.join('');
  const address = parseAddressLine(r.address?.line);
  const identifiers = r.identifiers
    .map((id) => ({ system: id.system.trim(), value: normalizeIdentifierValue(id.value) }))
    .filter((id) => id.system.length > 0 && id.value.length > 0);
  const record = {
    id: r.id,
    identifiers,
    given,
    givenOthers: givenTokens.slice(1),
    givenGroups,
    givenNearGroups: given.length > 1 ? nearNicknameGroups(given) : [],
    givenKey: given.length > 1 ? phoneticKey(formalName(given, givenGroups)) : '',
    family,
    familyTokens,
    familyPhonetic: phoneticKey(family),
    birth: parseBirthDate(r.birthDate),
    sex: r.sex === 'female' ? 'F' : r.sex === 'male' ? 'M' : '',
    phone: normalizePhone(r.phone),
    house: address.house,
    street: address.street,
    unit: address.unit,
    postalCode: normalizePostalCode(r.address?.postalCode),
    city: normalizeText(r.address?.city),
    blockingKeys: [] as readonly string[],
  } satisfies ComparableRecord;
  // Filled in place rather than spread into a new object: one shape for every record, and no copy per record.
  record.blockingKeys = computeBlockingKeys(record);
  return record;
}
