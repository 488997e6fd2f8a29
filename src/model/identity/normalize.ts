/**
 * Normalization of the demographic fields a source sends, into the forms the comparators work on. Every function is
 * total: input it cannot use becomes '' (missing), which contributes no evidence either way, rather than a guess.
 */
const COMBINING_MARKS = /[\u0300-\u036f]/g;
const ASCII = /^[\x20-\x7e]*$/;

/** Upper-case letters with single spaces between words; accents folded (José → JOSE), apostrophes and dots dropped. */
export function normalizeText(raw: string | undefined): string {
  if (!raw) return '';
  // Decomposing is the dear step, and most names are plain ASCII already.
  const folded = ASCII.test(raw) ? raw : raw.normalize('NFKD').replace(COMBINING_MARKS, '');
  return folded
    .toUpperCase()
    .replace(/['’`.]/g, '')
    .replace(/[^A-Z0-9]+/g, ' ')
    .trim();
}

/** Generational suffixes and titles say nothing about which person it is, and sources put them in name fields. */
const NAME_NOISE = new Set(['JR', 'SR', 'II', 'III', 'IV', 'MR', 'MRS', 'MS', 'MISS', 'DR']);

/** The words of a name field: letters only, hyphenated and spaced parts split (Garcia-Lopez → GARCIA, LOPEZ). */
export function nameTokens(raw: string | undefined): string[] {
  const text = normalizeText(raw).replace(/[0-9]/g, ' ');
  if (!text) return [];
  return text.split(' ').filter((t) => t.length > 0 && !NAME_NOISE.has(t));
}

export interface BirthDate {
  /** YYYYMMDD, for edit-distance comparisons. */
  digits: string;
  year: number;
  month: number;
  day: number;
}

/** Dates registration systems put in when nobody knew: they would otherwise agree among strangers. */
const PLACEHOLDER_DATES = new Set(['19000101', '18000101', '00010101', '19010101', '17530101']);

/** A YYYY-MM-DD date (time part ignored) if it is a real calendar date and not a placeholder. */
export function parseBirthDate(raw: string | undefined): BirthDate | undefined {
  const m = /^\s*(\d{4})-(\d{2})-(\d{2})/.exec(raw ?? '');
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const digits = `${m[1]}${m[2]}${m[3]}`;
  if (PLACEHOLDER_DATES.has(digits) || month < 1 || month > 12 || day < 1) return undefined;
  if (day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined;
  return { digits, year, month, day };
}

/**
 * The national significant number of a telephone number, digits only: the North American trunk prefix 1 is dropped
 * and at most the last ten digits are kept, so '+1 (415) 555-0100' and '415.555.0100' agree. Fewer than seven digits,
 * or one digit repeated ('0000000000', what a clerk types to get past a required field), is missing.
 */
export function normalizePhone(raw: string | undefined): string {
  let digits = (raw ?? '').replace(/\D/g, '');
  if (digits.length === 11 && digits.startsWith('1')) digits = digits.slice(1);
  if (digits.length > 10) digits = digits.slice(-10);
  if (digits.length < 7 || /^(\d)\1*$/.test(digits)) return '';
  return digits;
}

const STREET_WORDS: Record<string, string> = {
  STREET: 'ST', STR: 'ST', AVENUE: 'AVE', AV: 'AVE', ROAD: 'RD', DRIVE: 'DR', LANE: 'LN', COURT: 'CT',
  BOULEVARD: 'BLVD', PLACE: 'PL', TERRACE: 'TER', CIRCLE: 'CIR', HIGHWAY: 'HWY', PARKWAY: 'PKWY', SQUARE: 'SQ',
  NORTH: 'N', SOUTH: 'S', EAST: 'E', WEST: 'W', MOUNT: 'MT', SAINT: 'ST', FORT: 'FT',
};
const UNIT_WORDS = new Set(['APT', 'APARTMENT', 'UNIT', 'STE', 'SUITE', 'FLAT', 'RM', 'ROOM', 'NO']);

export interface AddressParts {
  /** The house number as written (digits and a letter: 12B). */
  house: string;
  /** Street name words with the type and directions abbreviated one way: MAPLE AVE. */
  street: string;
  unit: string;
}

/** Splits an address line into house number, street and unit; '#4', 'Apt 4' and 'Apartment 4' all give unit '4'. */
export function parseAddressLine(raw: string | undefined): AddressParts {
  const words = normalizeText((raw ?? '').replace(/#\s*/g, ' APT ')).split(' ').filter(Boolean);
  let house = '';
  let unit = '';
  const street: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (UNIT_WORDS.has(w)) {
      unit = words[i + 1] ?? '';
      i++;
    } else if (i === 0 && /^\d+[A-Z]?$/.test(w)) house = w;
    else street.push(STREET_WORDS[w] ?? w);
  }
  return { house, street: street.join(' '), unit };
}

/** A postal code without spaces or dashes; a US ZIP+4 is cut to its five-digit ZIP. */
export function normalizePostalCode(raw: string | undefined): string {
  const code = normalizeText(raw).replace(/ /g, '');
  return /^\d{9}$/.test(code) ? code.slice(0, 5) : code;
}

/**
 * Identifier values compared as a source's clerks mean them: case, spaces, dashes and leading zeros are formatting
 * ('00012345' and '12345' are one MRN in a system that pads).
 */
export function normalizeIdentifierValue(raw: string): string {
  const v = raw.toUpperCase().replace(/[\s-]/g, '');
  const unpadded = v.replace(/^0+/, '');
  return unpadded.length > 0 ? unpadded : v;
}
