import type { Identifier } from '../../model/clinical.ts';
import type { QualityFlag } from '../../model/quality.ts';
import type { MapState } from './context.ts';
import { EntryRefusal } from './errors.ts';
import { identifierOf, isMatchable, sourcePatientId } from './identifiers.ts';
import { isObject, objectAt, stringAt } from './json.ts';
import type { PayloadEntry } from './payload.ts';
import { literalTarget } from './references.ts';

/**
 * Who a resource is about: a Patient of the payload, or a patient the payload only names. A patient named but absent
 * is given by its identifier when the reference has one (it matches across systems), else by the source's FHIR id
 * (`urn:vigil:source:<id>:fhir-patient-id`), which the gateway can hold the resource against until that Patient comes.
 */
export type PatientTarget =
  | { kind: 'entry'; entry: PayloadEntry }
  | { kind: 'absent'; identifier: Identifier; flags: QualityFlag[]; at: string };

export function patientTarget(entry: PayloadEntry, field: string, m: MapState): PatientTarget {
  const at = `${entry.base}.${field}`;
  const ref = objectAt(entry.resource, field);
  if (!ref) throw EntryRefusal.error('required', at, `${entry.type}.${field} is missing; Vigil keeps only facts about a patient.`);
  const notAPatient = () => EntryRefusal.ignored(at, `${entry.type}.${field} refers to something other than a patient; Vigil keeps only patient data.`);
  const declared = stringAt(ref, 'type');
  if (declared !== undefined && declared !== 'Patient') throw notAPatient();

  const flags: QualityFlag[] = [];
  const identifier = identifierOf(ref['identifier'], m.ctx, `${at}.identifier`, flags);
  const literal = stringAt(ref, 'reference');
  const target = literal === undefined ? undefined : literalTarget(literal);
  if (literal !== undefined) {
    const inPayload = m.refs.resolve(literal, entry);
    if (inPayload) {
      if (inPayload.type !== 'Patient') throw notAPatient();
      return { kind: 'entry', entry: inPayload };
    }
    if (target && target.type !== 'Patient') throw notAPatient();
    if (!target && !identifier) {
      throw EntryRefusal.error('invalid', `${at}.reference`, `${entry.type}.${field}.reference does not resolve to a Patient in the payload and names no patient id.`);
    }
  }
  // An identifier nobody can match on (no system, no default authority) is worth less than the literal id beside it.
  if (identifier && (isMatchable(identifier) || !target)) {
    const known = m.patientWith(identifier);
    return known ? { kind: 'entry', entry: known } : { kind: 'absent', identifier, flags, at };
  }
  if (target) return { kind: 'absent', identifier: sourcePatientId(m.ctx.sourceId, target.id), flags: [], at };
  throw EntryRefusal.error('required', at, `${entry.type}.${field} has neither a reference nor an identifier; Vigil cannot tell which patient it is about.`);
}

/** The Encounter of the payload a reference points at, if it is there; facts are grouped with their encounter. */
export function encounterEntry(ref: unknown, from: PayloadEntry, m: MapState): PayloadEntry | undefined {
  const literal = isObject(ref) ? stringAt(ref, 'reference') : undefined;
  const found = literal === undefined ? undefined : m.refs.resolve(literal, from);
  return found?.type === 'Encounter' ? found : undefined;
}
