import type { ComparableRecord } from './comparable.ts';
import { ADDRESS, LEVEL, MISSING, PHONE } from './fields.ts';
import { sameNicknameGroup } from './nicknames.ts';
import { damerauDistance, jaroWinkler } from './strings.ts';

/**
 * Field comparators: each answers a level index of FIELD_LEVELS[field], or MISSING. They run on every candidate pair,
 * so they test the cheap, common outcomes (equal, one side empty) before any string distance, and read level indices
 * from module constants rather than through the imported objects.
 */
const GIVEN = LEVEL.given;
const FAMILY = LEVEL.family;
const BIRTH = LEVEL.birthDate;
const SEX_AGREE = LEVEL.sex.agree;
const SEX_DISAGREE = LEVEL.sex.disagree;
const CONTACT = LEVEL.contact;
const NONE = MISSING;

/** A typo-level difference: Jaro-Winkler ≥ 0.9 (slips late in a name), or one edit in a name of four letters or more
 * (a slip in the first letter, which Jaro-Winkler punishes: KATHY/CATHY). Three-letter names need the stricter test:
 * TOM/TIM. */
export function similarName(a: string, b: string): boolean {
  if (jaroWinkler(a, b) >= 0.9) return true;
  return Math.min(a.length, b.length) >= 4 && damerauDistance(a, b, 1) <= 1;
}

function middleNameAgrees(first: string, groups: readonly string[], middles: readonly string[]): boolean {
  for (const middle of middles) {
    if (middle.length === 1 ? middle === first[0] : middle === first || groups.includes(middle)) return true;
  }
  return false;
}

export function compareGiven(a: ComparableRecord, b: ComparableRecord): number {
  const L = GIVEN;
  if (!a.given || !b.given) return NONE;
  if (a.given === b.given) return L.exact;
  if (sameNicknameGroup(a.givenGroups, b.givenGroups)) return L.nickname;
  const aInitial = a.given.length === 1;
  const bInitial = b.given.length === 1;
  if (!aInitial && !bInitial && (similarName(a.given, b.given) || sameNicknameGroup(a.givenNearGroups, b.givenNearGroups))) return L.similar;
  if ((aInitial || bInitial) && a.given[0] === b.given[0]) return L.partial;
  // A person registered by their middle name at one source: JAMES ROBERT (or JAMES R) at one, ROBERT at another.
  if (middleNameAgrees(a.given, a.givenGroups, b.givenOthers) || middleNameAgrees(b.given, b.givenGroups, a.givenOthers)) return L.partial;
  return L.disagree;
}

export function compareFamily(a: ComparableRecord, b: ComparableRecord): number {
  const L = FAMILY;
  if (!a.family || !b.family) return NONE;
  if (a.family === b.family) return L.exact;
  // Hyphenated or compound names given in part at one source: GARCIA-LOPEZ and GARCIA, SMITH and JONES-SMITH.
  if (a.familyTokens.length !== b.familyTokens.length) {
    for (const x of a.familyTokens) {
      if (x.length < 2) continue;
      for (const y of b.familyTokens) if (x === y || (x.length >= 5 && y.length >= 5 && damerauDistance(x, y, 1) <= 1)) return L.part;
    }
  }
  if (a.familyPhonetic === b.familyPhonetic || similarName(a.family, b.family)) return L.similar;
  return L.disagree;
}

export function compareBirthDate(a: ComparableRecord, b: ComparableRecord): number {
  const L = BIRTH;
  const x = a.birth;
  const y = b.birth;
  if (!x || !y) return NONE;
  if (x.digits === y.digits) return L.exact;
  if (x.year === y.year && x.month === y.day && x.day === y.month) return L.transposed;
  if (damerauDistance(x.digits, y.digits, 1) <= 1) return L.near;
  return L.disagree;
}

export function compareSex(a: ComparableRecord, b: ComparableRecord): number {
  if (!a.sex || !b.sex) return NONE;
  return a.sex === b.sex ? SEX_AGREE : SEX_DISAGREE;
}

export function comparePhone(a: ComparableRecord, b: ComparableRecord): number {
  const L = PHONE;
  if (!a.phone || !b.phone) return NONE;
  if (a.phone === b.phone) return L.exact;
  // Seven-digit local numbers from old systems agree with the end of a ten-digit one.
  if (a.phone.length !== b.phone.length && (a.phone.endsWith(b.phone) || b.phone.endsWith(a.phone))) return L.exact;
  return damerauDistance(a.phone, b.phone, 1) <= 1 ? L.similar : L.disagree;
}

export function compareAddress(a: ComparableRecord, b: ComparableRecord): number {
  const L = ADDRESS;
  const bothLines = a.house !== '' && b.house !== '' && a.street !== '' && b.street !== '';
  const bothPostal = a.postalCode !== '' && b.postalCode !== '';
  const bothCity = a.city !== '' && b.city !== '';
  if (!bothLines && !bothPostal && !bothCity) return NONE;
  const samePlace = bothPostal ? damerauDistance(a.postalCode, b.postalCode, 1) <= 1 : !bothCity || a.city === b.city;
  if (bothLines && samePlace && a.house === b.house && (!a.unit || !b.unit || a.unit === b.unit) && jaroWinkler(a.street, b.street) >= 0.88) {
    return L.exact;
  }
  if (bothPostal) return a.postalCode === b.postalCode ? L.area : L.disagree;
  if (bothCity) return a.city === b.city ? L.area : L.disagree;
  return L.disagree;
}

export function compareContact(a: ComparableRecord, b: ComparableRecord): number {
  const L = CONTACT;
  const phone = comparePhone(a, b);
  const address = compareAddress(a, b);
  if (phone === NONE && address === NONE) return NONE;
  const phoneAgrees = phone === PHONE.exact || phone === PHONE.similar;
  if (phoneAgrees) return address === ADDRESS.exact ? L['phone-and-address'] : L.phone;
  if (address === ADDRESS.exact) return L.address;
  return address === ADDRESS.area ? L.area : L.disagree;
}
