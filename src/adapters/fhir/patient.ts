import type { Address, AdministrativeSex, Identifier, PatientRecordInput } from '../../model/clinical.ts';
import type { QualityFlag } from '../../model/quality.ts';
import type { FhirMapContext } from './context.ts';
import { EntryRefusal } from './errors.ts';
import { flag } from './flags.ts';
import { identifierOf, sameIdentifier, sourcePatientId } from './identifiers.ts';
import { booleanAt, objectsAt, stringAt, stringsAt, type JsonObject } from './json.ts';
import { nameOf } from './names.ts';
import type { PayloadEntry } from './payload.ts';
import { fhirBirthDate } from './time.ts';

const SEX: Record<string, AdministrativeSex> = { female: 'female', male: 'male', other: 'other', unknown: 'unknown' };

/**
 * One Patient resource as the source's account of the person. Its identifiers are kept as sent, followed by the
 * source's own FHIR id (`urn:vigil:source:<id>:fhir-patient-id`) so resources that name the patient only as
 * `Patient/<id>` find this record. A Patient with neither can never be matched or updated and is refused.
 */
export function mapPatient(entry: PayloadEntry, ctx: FhirMapContext): PatientRecordInput {
  const { resource: r, base } = entry;
  const flags: QualityFlag[] = [];
  const identifiers: Identifier[] = [];
  for (const [raw, i] of objectsAt(r, 'identifier')) {
    const id = identifierOf(raw, ctx, `${base}.identifier[${i}]`, flags);
    if (id && !identifiers.some((x) => sameIdentifier(x, id))) identifiers.push(id);
  }
  if (entry.id) identifiers.push(sourcePatientId(ctx.sourceId, entry.id));
  if (identifiers.length === 0) {
    throw EntryRefusal.error('required', `${base}.identifier`, 'Patient has no identifier with a value and no id; send at least one so the patient can be matched.');
  }
  const record: PatientRecordInput = { identifiers, ...nameOf(r, base, flags), flags };
  const born = fhirBirthDate(r['birthDate'], ctx, `${base}.birthDate`, flags);
  if (born) record.birthDate = born;
  const sex = sexOf(r, base, flags);
  if (sex) record.sex = sex;
  const phone = phoneOf(r);
  if (phone) record.phone = phone;
  const address = addressOf(r);
  if (address) record.address = address;
  const deceased = booleanAt(r, 'deceasedBoolean');
  if (deceased !== undefined) record.deceased = deceased;
  else if (stringAt(r, 'deceasedDateTime')) record.deceased = true;
  return record;
}

function sexOf(r: JsonObject, base: string, flags: QualityFlag[]): AdministrativeSex | undefined {
  const gender = stringAt(r, 'gender');
  if (gender === undefined) return undefined;
  const sex = SEX[gender.toLowerCase()];
  if (sex) return sex;
  flag(flags, 'sex-code-unknown', `${base}.gender`);
  return 'unknown';
}

/** The phone to call: telecom with system phone, not marked old, lowest rank first (rank 1 is the preferred one). */
function phoneOf(r: JsonObject): string | undefined {
  const phones = objectsAt(r, 'telecom')
    .map(([t]) => t)
    .filter((t) => stringAt(t, 'system') === 'phone' && stringAt(t, 'value') && stringAt(t, 'use') !== 'old');
  const rank = (t: JsonObject) => (typeof t['rank'] === 'number' ? t['rank'] : Number.POSITIVE_INFINITY);
  const best = phones.reduce<JsonObject | undefined>((b, t) => (b === undefined || rank(t) < rank(b) ? t : b), undefined);
  return best ? stringAt(best, 'value') : undefined;
}

/** The home address when marked, else the first one not marked old; its lines joined as one. */
function addressOf(r: JsonObject): Address | undefined {
  const current = objectsAt(r, 'address')
    .map(([a]) => a)
    .filter((a) => stringAt(a, 'use') !== 'old');
  const a = current.find((x) => stringAt(x, 'use') === 'home') ?? current[0];
  if (!a) return undefined;
  const address: Address = {};
  for (const key of ['city', 'state', 'postalCode', 'country'] as const) {
    const v = stringAt(a, key);
    if (v) address[key] = v;
  }
  // Address.text repeats the structured parts; it stands in for the line only when nothing structured was sent.
  const line = stringsAt(a, 'line').join(', ') || (Object.keys(address).length === 0 ? stringAt(a, 'text') : undefined);
  if (line) address.line = line;
  return Object.keys(address).length > 0 ? address : undefined;
}
