/**
 * A labelled synthetic identity set: persons living in households, each registered at one to four sources with the
 * noise real registration brings. Deterministic for a seed. Truth (record → person) is returned beside the records,
 * never inside them, so the matcher cannot see it.
 *
 * What makes it hard, on purpose: household members share surname, address and telephone; twins share surname, birth
 * date and address; a son named after his father shares everything but the birth date; a married woman is registered
 * under her maiden, married or hyphenated surname; every source numbers its own MRNs from the same start, so equal
 * MRN values in different systems belong to different persons; a few persons are registered twice at one source
 * under two MRNs (a duplicate a person must merge).
 */
import { seededRandom } from '../../test/support/seeded-random.ts';
import type { MatchRecord } from '../../src/model/identity/index.ts';
import { nicknamesOf } from '../../src/model/identity/nicknames.ts';
import { CITIES, FAMILY, FEMALE_GIVEN, MALE_GIVEN, STREET_TYPES, STREETS, SURNAME_PARTS } from './name-tables.ts';

export interface LabelledSet {
  records: MatchRecord[];
  /** record id → person id */
  personOf: Map<string, string>;
  persons: number;
}

export const NATIONAL_ID_SYSTEM = 'urn:oid:2.16.840.1.113883.4.1';

interface Source {
  system: string;
  nextMrn: number;
  padTo: number;
  nationalIdRate: number;
  allCapsRate: number;
  abbreviates: boolean;
}

interface Address {
  house: number;
  street: string;
  type: readonly [string, string];
  unit: string;
  city: (typeof CITIES)[number];
  zip: string;
}

interface Person {
  id: string;
  given: string;
  middle: string;
  sex: 'female' | 'male';
  family: string;
  /** A married woman's birth surname, under which some sources still know her. */
  maiden: string;
  year: number;
  month: number;
  day: number;
  nationalId: string;
  phones: string[];
  address: Address;
  previous: Address | undefined;
}

const SOURCE_NAMES = ['st-mary', 'county-general', 'northside-clinic', 'lakeview-lab', 'valley-imaging', 'riverside-peds', 'summit-ortho', 'harbor-urgent', 'eastgate-pharmacy', 'westfield-health', 'oak-family', 'metro-cardiology'];

export function syntheticIdentitySet(options: { records: number; seed: number }): LabelledSet {
  const random = seededRandom(options.seed);
  const chance = (p: number) => random() < p;
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

  /** Draws index r of a table with weight 1/(r + flatten): the head is common, the tail long. */
  const byRank = (size: number, flatten: number) => {
    const cumulative = new Float64Array(size);
    let total = 0;
    for (let r = 0; r < size; r++) cumulative[r] = total += 1 / (r + flatten);
    return () => {
      const x = random() * total;
      let lo = 0;
      let hi = size - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cumulative[mid]! < x) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
  };
  const maleRank = byRank(MALE_GIVEN.length, 6);
  const femaleRank = byRank(FEMALE_GIVEN.length, 6);
  const familyRank = byRank(FAMILY.length, 12);
  const givenName = (sex: 'female' | 'male') => (sex === 'male' ? MALE_GIVEN[maleRank()]! : FEMALE_GIVEN[femaleRank()]!);
  const tailSurname = () => {
    const s = pick(SURNAME_PARTS.head) + (chance(0.5) ? pick(SURNAME_PARTS.middle) : '') + pick(SURNAME_PARTS.tail);
    return s[0]!.toUpperCase() + s.slice(1).toLowerCase();
  };
  const familyName = () => (chance(0.35) ? tailSurname() : FAMILY[familyRank()]!);

  const zips = CITIES.map(() => Array.from({ length: 5 }, () => String(int(0, 99)).padStart(2, '0')));
  const newAddress = (): Address => {
    const c = Math.floor(random() * CITIES.length);
    return {
      house: chance(0.7) ? int(1, 9999) : int(1, 300),
      street: pick(STREETS),
      type: pick(STREET_TYPES),
      unit: chance(0.15) ? String(int(1, 40)) : '',
      city: CITIES[c]!,
      zip: CITIES[c]!.zip3 + pick(zips[c]!),
    };
  };
  const newPhone = (address: Address) => `${pick(address.city.area)}${int(200, 999)}${String(int(0, 9999)).padStart(4, '0')}`;
  const usedNationalIds = new Set<string>();
  const nationalId = () => {
    let id: string;
    do id = `${int(100, 899)}${String(int(1, 99)).padStart(2, '0')}${String(int(1, 9999)).padStart(4, '0')}`;
    while (usedNationalIds.has(id));
    usedNationalIds.add(id);
    return id;
  };

  let personCount = 0;
  const person = (sex: 'female' | 'male', family: string, year: number, address: Address, homePhone: string | undefined, given?: string): Person => {
    const month = int(1, 12);
    const phones: string[] = [];
    if (homePhone) phones.push(homePhone);
    if (chance(year < 2008 ? 0.6 : 0.15)) phones.push(newPhone(address));
    return {
      id: `p${personCount++}`,
      given: given ?? givenName(sex),
      middle: chance(0.45) ? givenName(sex) : '',
      sex,
      family,
      maiden: '',
      year,
      month,
      day: int(1, new Date(Date.UTC(year, month, 0)).getUTCDate()),
      nationalId: nationalId(),
      phones,
      address,
      previous: chance(0.15) ? newAddress() : undefined,
    };
  };

  const household = (): Person[] => {
    const address = newAddress();
    const homePhone = chance(0.55) ? newPhone(address) : undefined;
    const family = chance(0.05) ? `${familyName()}-${familyName()}` : familyName();
    const kind = random();
    const firstSex = chance(0.5) ? 'female' : 'male';
    const firstYear = int(1930, 2006);
    const members = [person(firstSex, family, firstYear, address, homePhone)];
    if (kind < 0.33) return members;
    if (kind < 0.9) {
      const partner = person(firstSex === 'male' ? 'female' : 'male', family, Math.min(2006, firstYear + int(-6, 6)), address, homePhone);
      members.push(partner);
      const wife = firstSex === 'female' ? members[0]! : partner;
      if (chance(0.8)) wife.maiden = familyName();
      if (kind < 0.58) return members;
    }
    const father = members.find((m) => m.sex === 'male');
    const oldest = Math.min(...members.map((m) => m.year));
    const children = int(1, 3);
    for (let c = 0; c < children; c++) {
      const year = Math.min(2025, oldest + int(20, 40));
      const sex = chance(0.5) ? 'female' : 'male';
      const junior = father && sex === 'male' && c === 0 && chance(0.1) ? father.given : undefined;
      const child = person(sex, family, year, address, homePhone, junior);
      members.push(child);
      if (chance(0.03)) {
        let twin: Person;
        do twin = person(chance(0.5) ? 'female' : 'male', family, year, address, homePhone);
        while (twin.given === child.given);
        twin.month = child.month;
        twin.day = child.day;
        members.push(twin);
      }
    }
    return members;
  };

  const sources: Source[] = SOURCE_NAMES.map((name, i) => ({
    system: `urn:vigil:source:${name}:mrn`,
    nextMrn: 1000,
    padTo: i % 3 === 0 ? 8 : 0,
    nationalIdRate: [0.7, 0.1, 0.4, 0.05, 0.2, 0.5][i % 6]!,
    allCapsRate: i % 4 === 0 ? 0.9 : 0.1,
    abbreviates: i % 2 === 0,
  }));

  const typo = (s: string): string => {
    if (s.length < 3) return s;
    const at = chance(0.1) ? 0 : int(1, s.length - 1);
    const letter = String.fromCharCode(97 + int(0, 25));
    switch (int(0, 3)) {
      case 0:
        return s.slice(0, at) + (at === 0 ? letter.toUpperCase() : letter) + s.slice(at + 1);
      case 1:
        return s.slice(0, at) + s.slice(at + 1);
      case 2:
        return at < s.length - 1 ? s.slice(0, at) + s[at + 1] + s[at] + s.slice(at + 2) : s.slice(0, -1);
      default:
        return s.slice(0, at) + s[at] + s.slice(at);
    }
  };
  const titleCase = (s: string) => s.charAt(0) + s.slice(1).toLowerCase();
  const pad = (n: number) => String(n).padStart(2, '0');
  const formatPhone = (digits: string) => {
    const [a, b, c] = [digits.slice(0, 3), digits.slice(3, 6), digits.slice(6)];
    return pick([`(${a}) ${b}-${c}`, `${a}-${b}-${c}`, `+1 ${a} ${b} ${c}`, digits, `${a}.${b}.${c}`, `1${digits}`]);
  };

  const nicknameCache = new Map<string, string[]>();
  const nicknamesOfName = (name: string) => {
    let list = nicknameCache.get(name);
    if (!list) nicknameCache.set(name, (list = nicknamesOf(name.toUpperCase())));
    return list;
  };

  const registration = (p: Person, source: Source, id: string): MatchRecord => {
    let given = p.given;
    const nicknames = nicknamesOfName(given);
    if (nicknames.length > 0 && chance(0.12)) given = titleCase(pick(nicknames));
    if (chance(0.04)) given = typo(given);
    const givenNames = [given];
    if (p.middle && chance(0.01)) givenNames[0] = p.middle;
    else if (p.middle && chance(0.3)) givenNames.push(chance(0.6) ? p.middle : p.middle[0]!);

    let family = p.family;
    if (p.maiden) {
      const r = random();
      family = r < 0.3 ? p.maiden : r < 0.4 ? `${p.maiden}-${p.family}` : p.family;
    } else if (family.includes('-')) {
      const r = random();
      family = r < 0.3 ? family.split('-')[0]! : r < 0.4 ? family.replace('-', ' ') : family;
    }
    if (chance(0.04)) family = typo(family);

    let birthDate: string | undefined;
    if (!chance(0.01)) {
      let [m, d] = [p.month, p.day];
      if (d <= 12 && d !== m && chance(0.02)) [m, d] = [d, m];
      birthDate = `${p.year}-${pad(m)}-${pad(d)}`;
      if (chance(0.015)) {
        const digits = birthDate.replace(/-/g, '');
        const at = int(2, 7);
        const changed = digits.slice(0, at) + String(int(0, 9)) + digits.slice(at + 1);
        const candidate = `${changed.slice(0, 4)}-${changed.slice(4, 6)}-${changed.slice(6)}`;
        if (!Number.isNaN(Date.parse(`${candidate}T00:00:00Z`))) birthDate = candidate;
      }
    }

    let sex: MatchRecord['sex'] = p.sex;
    if (chance(0.06)) sex = chance(0.5) ? undefined : 'unknown';
    else if (chance(0.003)) sex = p.sex === 'male' ? 'female' : 'male';

    let phone: string | undefined;
    if (p.phones.length > 0 && !chance(0.2)) {
      let digits = pick(p.phones);
      if (chance(0.01)) {
        const at = int(3, 9);
        digits = digits.slice(0, at) + String(int(0, 9)) + digits.slice(at + 1);
      }
      phone = formatPhone(digits);
    }

    let address: MatchRecord['address'];
    if (!chance(0.1)) {
      const a = p.previous && chance(0.35) ? p.previous : p.address;
      const street = chance(0.02) ? typo(a.street) : a.street;
      const type = source.abbreviates === chance(0.8) ? a.type[1] : a.type[0];
      const unit = a.unit ? pick([` Apt ${a.unit}`, ` #${a.unit}`, ` Unit ${a.unit}`]) : '';
      address = { line: `${a.house} ${street} ${type}${unit}`, city: a.city.name, postalCode: chance(0.1) ? `${a.zip}-${String(int(0, 9999)).padStart(4, '0')}` : a.zip };
    }

    const mrn = String(source.nextMrn++).padStart(source.padTo, '0');
    const identifiers = [{ system: source.system, value: mrn }];
    if (chance(source.nationalIdRate)) {
      const nid = chance(0.002) ? p.nationalId.slice(0, 8) + String((Number(p.nationalId[8]) + 1) % 10) : p.nationalId;
      identifiers.push({ system: NATIONAL_ID_SYSTEM, value: chance(0.5) ? `${nid.slice(0, 3)}-${nid.slice(3, 5)}-${nid.slice(5)}` : nid });
    }

    const caps = chance(source.allCapsRate);
    const style = (s: string) => {
      const t = caps ? s.toUpperCase() : s;
      return chance(0.05) ? `${t} ` : t;
    };
    const record: MatchRecord = { id, identifiers, family: style(family), given: givenNames.map(style), sex };
    if (birthDate) record.birthDate = birthDate;
    if (phone) record.phone = phone;
    if (address) record.address = caps ? { ...address, line: address.line?.toUpperCase(), city: address.city?.toUpperCase() } : address;
    if (record.sex === undefined) delete record.sex;
    return record;
  };

  const records: { record: MatchRecord; person: string }[] = [];
  while (records.length < options.records) {
    for (const p of household()) {
      const r = random();
      const appearances = r < 0.4 ? 1 : r < 0.7 ? 2 : r < 0.88 ? 3 : 4;
      const used: Source[] = [];
      for (let k = 0; k < appearances; k++) {
        // Mostly a new source each time; sometimes the same source again under a new MRN (a duplicate registration).
        let source: Source;
        if (used.length > 0 && chance(0.03)) source = pick(used);
        else do source = pick(sources);
        while (used.includes(source));
        used.push(source);
        records.push({ record: registration(p, source, ''), person: p.id });
      }
    }
  }
  records.length = options.records;

  for (let i = records.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [records[i], records[j]] = [records[j]!, records[i]!];
  }
  const personOf = new Map<string, string>();
  const out = records.map(({ record, person }, i) => {
    record.id = `r${i}`;
    personOf.set(record.id, person);
    return record;
  });
  return { records: out, personOf, persons: new Set(personOf.values()).size };
}
