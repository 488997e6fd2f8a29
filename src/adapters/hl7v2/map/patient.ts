import type { Address, AdministrativeSex, PatientRecordInput } from '../../../model/clinical.ts';
import type { QualityFlag } from '../../../model/quality.ts';
import type { MapContext } from './context.ts';
import { Hl7MappingError } from './errors.ts';
import { identifiersAt } from './identifiers.ts';
import { nameOf } from './names.ts';
import { at, components, flag, repetitionCount, text, where, type Located } from './segments.ts';
import { birthDate } from './time.ts';

/** HL7 table 0001 → FHIR AdministrativeGender, as the HL7 v2-to-FHIR IG maps it (A ambiguous and N not applicable → other). */
const SEX: Record<string, AdministrativeSex> = { F: 'female', M: 'male', O: 'other', U: 'unknown', A: 'other', N: 'other' };

/** One patient record from a PID. Refuses a PID without any identifier: nothing could ever match or update it. */
export function mapPatient(pid: Located, ctx: MapContext): PatientRecordInput {
  const flags: QualityFlag[] = [];
  const identifiers = identifiersAt(pid, 3, ctx, flags);
  if (identifiers.length === 0) {
    throw Hl7MappingError.missing(where(pid, 3), `${pid.position}-3 (patient identifier list) is empty; the source must send at least one identifier in component 1 so the patient can be matched.`);
  }
  const name = nameOf(pid, flags);
  const record: PatientRecordInput = { identifiers, ...name, flags };
  const born = birthDate(text(pid.seg, 7), ctx.profile, ctx.now, at(pid, 7), flags);
  if (born) record.birthDate = born;
  const sex = sexOf(pid, flags);
  if (sex) record.sex = sex;
  const phone = phoneOf(pid);
  if (phone) record.phone = phone;
  const address = addressOf(pid);
  if (address) record.address = address;
  const deceased = text(pid.seg, 30).toUpperCase();
  if (deceased === 'Y') record.deceased = true;
  else if (deceased === 'N') record.deceased = false;
  else if (text(pid.seg, 29) !== '') record.deceased = true;
  return record;
}

function sexOf(pid: Located, flags: QualityFlag[]): AdministrativeSex | undefined {
  const code = text(pid.seg, 8).toUpperCase();
  if (code === '') return undefined;
  const sex = SEX[code];
  if (sex) return sex;
  flag(flags, 'sex-code-unknown', at(pid, 8));
  return 'unknown';
}

/**
 * PID-13 (XTN), first repetition holding a number: the unformatted .1 when sent (common before v2.5), else
 * +country area local and extension from .5–.8. E-mail-only repetitions are skipped.
 */
function phoneOf(pid: Located): string | undefined {
  for (let rep = 1; rep <= repetitionCount(pid.seg, 13); rep++) {
    const c = components(pid.seg, 13, rep);
    const part = (i: number) => c[i - 1] ?? '';
    if (part(1)) return part(1);
    if (part(7)) {
      const number = [part(5) ? `+${part(5).replace(/^\+/, '')}` : '', part(6), part(7)].filter(Boolean).join(' ');
      return part(8) ? `${number} ext. ${part(8)}` : number;
    }
  }
  return undefined;
}

/** PID-11 (XAD), first repetition with content: street (.1.1, or .1.3 number + .1.2 street name) and .2 as the line. */
function addressOf(pid: Located): Address | undefined {
  for (let rep = 1; rep <= repetitionCount(pid.seg, 11); rep++) {
    const t = (comp: number, sub = 1) => text(pid.seg, 11, rep, comp, sub);
    const street = t(1, 1) || [t(1, 3), t(1, 2)].filter(Boolean).join(' ');
    const line = [street, t(2)].filter(Boolean).join(', ');
    const address: Address = {};
    if (line) address.line = line;
    if (t(3)) address.city = t(3);
    if (t(4)) address.state = t(4);
    if (t(5)) address.postalCode = t(5);
    if (t(6)) address.country = t(6);
    if (Object.keys(address).length > 0) return address;
  }
  return undefined;
}
