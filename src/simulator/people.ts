import { AREA_CODES, CITIES, FAMILY, FEMALE_GIVEN, MALE_GIVEN, NICKNAMES, STREET_KINDS, STREETS } from './name-tables.ts';
import type { SeededRandom } from './random.ts';

/** A patient of the simulated hospital, with the quirks each feed will show of them. */
export interface SimPerson {
  /** Plan-internal handle (never sent). */
  key: string;
  mrn: string;
  family: string;
  given: string;
  middle: string;
  /** The name the lab's system knows this person by, when it differs from the registration. */
  labGiven: string;
  birthDate: string;
  sex: 'F' | 'M';
  street: string;
  unit: string;
  city: string;
  zip: string;
  phone: string;
  /** The ADT system writes this person's name in capitals, padded with spaces. */
  shouting: boolean;
  /** Born the same day as, and sharing family, address and phone with, this person. */
  twinOf?: string;
  /** Registered a second time under another MRN (same authority), merged days later. */
  duplicate?: { mrn: string; given: string };
  /** One of the caller's existing patients. */
  known: boolean;
}

export interface KnownPatient {
  mrn: string;
  family: string;
  given: string;
  /** `YYYY-MM-DD` or `YYYYMMDD`. */
  birthDate: string;
  /** `F`/`M`, or `female`/`male`. */
  sex: string;
}

const DAY_MS = 86_400_000;

function birthDate(rng: SeededRandom, baseMs: number): string {
  const ageDays = rng.int(400, 95 * 365);
  return new Date(baseMs - ageDays * DAY_MS).toISOString().slice(0, 10).replaceAll('-', '');
}

function surname(rng: SeededRandom): string {
  const first = rng.pick(FAMILY);
  if (!rng.chance(0.15)) return first;
  const second = rng.pick(FAMILY.filter((f) => f !== first && !f.includes(' ')));
  return `${first.replaceAll(' ', '')}-${second}`;
}

function givenName(rng: SeededRandom, sex: 'F' | 'M', not: readonly string[] = []): string {
  return rng.pick((sex === 'F' ? FEMALE_GIVEN : MALE_GIVEN).filter((g) => !not.includes(g)));
}

/** A registration clerk's variant of a name: a nickname, or a letter dropped. */
function variant(rng: SeededRandom, given: string): string {
  const nick = NICKNAMES[given];
  if (nick && rng.chance(0.5)) return nick;
  if (given.length > 4) {
    const i = rng.int(1, given.length - 2);
    return given.slice(0, i) + given.slice(i + 1);
  }
  return `${given}e`;
}

class MrnBook {
  private readonly used = new Set<string>();
  constructor(
    private readonly rng: SeededRandom,
    private readonly tag: string,
  ) {}
  reserve(mrn: string): void {
    this.used.add(mrn);
  }
  next(): string {
    for (;;) {
      const mrn = `M${this.tag}${this.rng.digits(5)}`;
      if (!this.used.has(mrn)) {
        this.used.add(mrn);
        return mrn;
      }
    }
  }
}

function newPerson(rng: SeededRandom, key: string, mrns: MrnBook, baseMs: number): SimPerson {
  const sex = rng.chance(0.5) ? 'F' : 'M';
  const given = givenName(rng, sex);
  const place = rng.pick(CITIES);
  const nick = NICKNAMES[given];
  return {
    key,
    mrn: mrns.next(),
    family: surname(rng),
    given,
    middle: rng.chance(0.4) ? givenName(rng, sex, [given]).slice(0, rng.chance(0.5) ? 1 : undefined) : '',
    labGiven: nick && rng.chance(0.5) ? nick : given,
    birthDate: birthDate(rng, baseMs),
    sex,
    street: `${rng.int(1, 999)} ${rng.pick(STREETS)} ${rng.pick(STREET_KINDS)}`,
    unit: rng.chance(0.25) ? `Apt ${rng.int(1, 40)}${rng.pick(['', 'A', 'B'])}` : '',
    city: place.city,
    zip: place.zip,
    phone: `(${rng.pick(AREA_CODES)})555-01${rng.digits(2)}`,
    shouting: rng.chance(0.2),
    known: false,
  };
}

function twin(rng: SeededRandom, of: SimPerson, key: string, mrns: MrnBook): SimPerson {
  const sex = rng.chance(0.5) ? of.sex : of.sex === 'F' ? 'M' : 'F';
  const given = givenName(rng, sex, [of.given, NICKNAMES[of.given] ?? '']);
  return { ...of, key, mrn: mrns.next(), given, middle: '', labGiven: given, sex, twinOf: of.key };
}

function fromKnown(k: KnownPatient, key: string): SimPerson {
  return {
    key,
    mrn: k.mrn,
    family: k.family,
    given: k.given,
    middle: '',
    labGiven: k.given,
    birthDate: k.birthDate.replaceAll('-', ''),
    sex: k.sex.toUpperCase().startsWith('F') ? 'F' : 'M',
    street: '',
    unit: '',
    city: '',
    zip: '',
    phone: '',
    shouting: false,
    known: true,
  };
}

/**
 * `count` new people (twins count as two) and the caller's known patients. At least one twin pair from four people and
 * one double registration from three, so every seed exercises the identity index the same ways.
 */
export function makePeople(rng: SeededRandom, count: number, known: readonly KnownPatient[], baseMs: number, tag: string): SimPerson[] {
  const mrns = new MrnBook(rng.fork('mrn'), tag);
  for (const k of known) mrns.reserve(k.mrn);
  const twinPairs = count >= 4 ? Math.max(1, Math.floor(count / 15)) : 0;
  const people: SimPerson[] = [];
  let n = 0;
  const key = () => `P${String(++n).padStart(4, '0')}`;
  for (let pair = 0; pair < twinPairs; pair++) {
    const first = newPerson(rng, key(), mrns, baseMs);
    people.push(first, twin(rng, first, key(), mrns));
  }
  while (people.length < count) people.push(newPerson(rng, key(), mrns, baseMs));
  const doubles = count >= 3 ? Math.max(1, Math.floor(count / 10)) : 0;
  for (const p of rng.sample(people.filter((p) => !p.twinOf), doubles)) p.duplicate = { mrn: mrns.next(), given: variant(rng, p.given) };
  return [...people, ...known.map((k) => fromKnown(k, key()))];
}
