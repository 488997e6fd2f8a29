import type { ComparableRecord } from './comparable.ts';
import { phoneticKey } from './phonetic.ts';

/**
 * Blocking: which records are worth scoring against each other. Each key is a conjunction of fields that a true
 * duplicate keeps with high probability; keys are chosen so that every kind of noise the matcher tolerates spares at
 * least one of them:
 *
 *   I  an identifier (system + value)            exact identifier agreement, whatever else changed
 *   G  birth date (day/month order-free) + given  survives a married or misspelled surname, a swapped day/month
 *   F  birth date (order-free) + surname word     survives a nickname or misspelled given name, one part of a hyphen
 *   N  surname + given name phonetic keys + birth  survives a wrong birth date within its decade. The decade keeps
 *      decade                                      common names (SMITH JAMES) from making blocks that grow with the
 *                                                  population: without it, a million records scored 22 million pairs,
 *                                                  five times the rate of 200,000. The price: a record without a birth
 *                                                  date meets its duplicates only through I, P and A.
 *   P  telephone number                            survives a changed surname with a wrong birth date
 *   A  postal code + house number                  the same, for the home address
 *
 * Given names block on the phonetic key of their formal name, so Bill meets William in G and N.
 */
type KeyFields = Pick<ComparableRecord, 'identifiers' | 'givenKey' | 'familyTokens' | 'birth' | 'phone' | 'house' | 'postalCode' | 'city'>;

export function computeBlockingKeys(r: KeyFields): string[] {
  const keys: string[] = [];
  for (const id of r.identifiers) keys.push(`I${id.system}|${id.value}`);
  const first = r.familyTokens[0];
  const last = r.familyTokens.length > 1 ? r.familyTokens[r.familyTokens.length - 1] : undefined;
  const firstKey = first ? phoneticKey(first) : '';
  if (r.birth) {
    const { year, month, day } = r.birth;
    const date = `${year}.${Math.min(month, day)}.${Math.max(month, day)}`;
    if (r.givenKey) keys.push(`G${date}|${r.givenKey}`);
    if (firstKey) keys.push(`F${date}|${firstKey}`);
    if (last) keys.push(`F${date}|${phoneticKey(last)}`);
  }
  if (firstKey && r.givenKey) keys.push(`N${firstKey}|${r.givenKey}|${r.birth ? Math.floor(r.birth.year / 10) : ''}`);
  if (r.phone) keys.push(`P${r.phone}`);
  const place = r.postalCode || r.city;
  if (r.house && place) keys.push(`A${place}|${r.house}`);
  return [...new Set(keys)];
}

/** The blocking keys of a record (computed once by comparableRecord). */
export function blockingKeys(r: ComparableRecord): readonly string[] {
  return r.blockingKeys;
}
