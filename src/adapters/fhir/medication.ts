import type { Concept, FactInput, FactKind, MedicationBody } from '../../model/clinical.ts';
import type { QualityFlag } from '../../model/quality.ts';
import type { SourceTime } from '../../model/time.ts';
import { conceptOf } from './codes.ts';
import type { MapState, ResourceMapper } from './context.ts';
import { dosageOf } from './dosage.ts';
import { isObject, objectAt, objectsAt, stringAt, type JsonObject } from './json.ts';
import { referencedKey } from './keys.ts';
import type { PayloadEntry } from './payload.ts';
import { quantityOf } from './quantity.ts';
import { literalTarget } from './references.ts';
import { statusOf, statuses } from './status.ts';
import { fhirPeriod, fhirTime } from './time.ts';

type Time = (r: JsonObject, base: string, m: MapState, flags: QualityFlag[]) => SourceTime | undefined;
type Course = (r: JsonObject, base: string, m: MapState, flags: QualityFlag[]) => MedicationBody['period'];

/** What differs between the four medication resources; everything else is mapped alike. */
interface Shape {
  kind: FactKind;
  status: ReadonlySet<string>;
  encounterField: 'encounter' | 'context';
  /** Element holding the Dosage (the first is read), and whether it is an array. */
  dosage: { key: string; many: boolean };
  effective: Time;
  /** The order this fact fulfils or follows. */
  order?: (r: JsonObject) => unknown;
  quantity?: (r: JsonObject) => unknown;
  /** The course of the medication as the resource states it. */
  period?: Course;
}

const at = (key: string): Time => (r, base, m, flags) => fhirTime(r[key], m.ctx, `${base}.${key}`, flags);
const first = (...times: Time[]): Time => (r, base, m, flags) => {
  for (const t of times) {
    const found = t(r, base, m, flags);
    if (found) return found;
  }
  return undefined;
};
const periodStart = (key: string): Time => (r, base, m, flags) => fhirTime(objectAt(r, key)?.['start'], m.ctx, `${base}.${key}.start`, flags);
const periodAt = (key: string): Course => (r, base, m, flags) => fhirPeriod(r, key, m.ctx, base, flags);
const validity: Course = (r, base, m, flags) => {
  const request = objectAt(r, 'dispenseRequest');
  return request && fhirPeriod(request, 'validityPeriod', m.ctx, `${base}.dispenseRequest`, flags);
};

const SHAPES: Record<string, Shape> = {
  MedicationRequest: {
    kind: 'medication-request',
    status: statuses('active', 'on-hold', 'cancelled', 'completed', 'entered-in-error', 'stopped', 'draft', 'unknown'),
    encounterField: 'encounter',
    dosage: { key: 'dosageInstruction', many: true },
    effective: at('authoredOn'),
    quantity: (r) => objectAt(r, 'dispenseRequest')?.['quantity'],
    period: validity,
  },
  MedicationStatement: {
    kind: 'medication-statement',
    status: statuses('active', 'completed', 'entered-in-error', 'intended', 'stopped', 'on-hold', 'unknown', 'not-taken'),
    encounterField: 'context',
    dosage: { key: 'dosage', many: true },
    effective: first(at('effectiveDateTime'), periodStart('effectivePeriod'), at('dateAsserted')),
    order: (r) => (Array.isArray(r['basedOn']) ? r['basedOn'][0] : undefined),
    period: periodAt('effectivePeriod'),
  },
  MedicationAdministration: {
    kind: 'medication-administration',
    status: statuses('in-progress', 'not-done', 'on-hold', 'completed', 'entered-in-error', 'stopped', 'unknown'),
    encounterField: 'context',
    dosage: { key: 'dosage', many: false },
    effective: first(at('effectiveDateTime'), periodStart('effectivePeriod')),
    order: (r) => r['request'],
    period: periodAt('effectivePeriod'),
  },
  MedicationDispense: {
    kind: 'medication-dispense',
    status: statuses('preparation', 'in-progress', 'cancelled', 'on-hold', 'completed', 'entered-in-error', 'stopped', 'declined', 'unknown'),
    encounterField: 'context',
    dosage: { key: 'dosageInstruction', many: true },
    effective: first(at('whenHandedOver'), at('whenPrepared')),
    order: (r) => (Array.isArray(r['authorizingPrescription']) ? r['authorizingPrescription'][0] : undefined),
    quantity: (r) => r['quantity'],
  },
};

export const MEDICATION_TYPES = Object.keys(SHAPES);

/**
 * MedicationRequest, MedicationStatement, MedicationAdministration and MedicationDispense → one medication fact each.
 * The drug is medicationCodeableConcept, or the Medication that medicationReference names (contained, or in the
 * payload). An administration or dispense points at its order by the order's source key, whether or not the order
 * is in the same payload. The prescriber is kept as an identifier or reference only, never a name.
 */
export function medicationMapper(type: string): ResourceMapper {
  const shape = SHAPES[type]!;
  return {
    patient: 'subject',
    encounter: (r) => r[shape.encounterField],
    map(entry, m): FactInput[] {
      const { resource: r, base } = entry;
      const flags: QualityFlag[] = [];
      const body: MedicationBody = {};
      const [dosage, dosageAt] = firstDosage(r, base, shape);
      const mapped = dosage && dosageOf(dosage, dosageAt, m.ctx, flags);
      if (mapped) body.dosage = mapped;
      const period = shape.period?.(r, base, m, flags) ?? boundsOf(dosage, dosageAt, m, flags);
      if (period) body.period = period;
      const order = shape.order && orderKey(shape.order(r), entry, m);
      if (order) body.orderKey = order;
      const quantity = shape.quantity && quantityOf(shape.quantity(r))?.quantity;
      if (quantity) body.quantity = quantity;
      const prescriber = type === 'MedicationRequest' ? prescriberOf(r['requester'], entry, m) : undefined;
      if (prescriber) body.prescriber = prescriber;
      const code = medicationCode(entry, m, flags);
      const effective = shape.effective(r, base, m, flags);
      return [
        {
          kind: shape.kind,
          sourceKey: m.keyOf(entry),
          status: statusOf(r['status'], shape.status, `${base}.status`, flags),
          ...(code ? { code } : {}),
          ...(effective ? { effective } : {}),
          body,
          position: base,
          flags,
        },
      ];
    },
  };
}

/** The Dosage read (the first, when the element repeats) and its position. */
function firstDosage(r: JsonObject, base: string, shape: Shape): [JsonObject | undefined, string] {
  const { key, many } = shape.dosage;
  if (!many) return [objectAt(r, key), `${base}.${key}`];
  const [found] = objectsAt(r, key);
  return found ? [found[0], `${base}.${key}[${found[1]}]`] : [undefined, `${base}.${key}`];
}

/** Without a stated course, the bounds of the dosage's timing are the course. */
function boundsOf(dosage: JsonObject | undefined, dosageAt: string, m: MapState, flags: QualityFlag[]): MedicationBody['period'] {
  const repeat = objectAt(objectAt(dosage, 'timing'), 'repeat');
  return repeat && fhirPeriod(repeat, 'boundsPeriod', m.ctx, `${dosageAt}.timing.repeat`, flags);
}

function medicationCode(entry: PayloadEntry, m: MapState, flags: QualityFlag[]): Concept | undefined {
  const { resource: r, base } = entry;
  if (r['medicationCodeableConcept'] !== undefined) return conceptOf(r['medicationCodeableConcept'], m.ctx, `${base}.medicationCodeableConcept`, flags);
  const ref = objectAt(r, 'medicationReference');
  const literal = stringAt(ref, 'reference');
  if (literal?.startsWith('#')) {
    const found = objectsAt(r, 'contained').find(([c]) => c['resourceType'] === 'Medication' && c['id'] === literal.slice(1));
    if (found) return conceptOf(found[0]['code'], m.ctx, `${base}.contained[${found[1]}].code`, flags);
  } else if (literal) {
    const medication = m.refs.resolve(literal, entry);
    if (medication?.type === 'Medication') return conceptOf(medication.resource['code'], m.ctx, `${medication.base}.code`, flags);
  }
  const display = stringAt(ref, 'display');
  return display ? { codings: [], text: display } : undefined;
}

/** The source key of the order a reference names: the order's own key when it is in the payload, else derived alike. */
function orderKey(ref: unknown, from: PayloadEntry, m: MapState): string | undefined {
  if (!isObject(ref)) return undefined;
  const literal = stringAt(ref, 'reference');
  const inPayload = literal === undefined ? undefined : m.refs.resolve(literal, from);
  if (inPayload) return m.peekKey(inPayload);
  const target = literal === undefined ? undefined : literalTarget(literal);
  const identifier = objectAt(ref, 'identifier');
  return referencedKey(target?.type ?? 'MedicationRequest', target?.id, identifier && { system: stringAt(identifier, 'system'), value: stringAt(identifier, 'value') });
}

/** The requester by an identifier (an NPI, say) or a resource reference; a display name is never copied. */
function prescriberOf(ref: unknown, from: PayloadEntry, m: MapState): string | undefined {
  if (!isObject(ref)) return undefined;
  const literal = stringAt(ref, 'reference');
  const inPayload = literal === undefined ? undefined : m.refs.resolve(literal, from);
  const identifier = objectsAt(inPayload?.resource, 'identifier').map(([i]) => i).find((i) => stringAt(i, 'value')) ?? objectAt(ref, 'identifier');
  const value = stringAt(identifier, 'value');
  // With its system, so an NPI reads as an NPI: `http://hl7.org/fhir/sid/us-npi|1234567890`.
  if (value) return stringAt(identifier, 'system') ? `${stringAt(identifier, 'system')}|${value}` : value;
  const target = literal === undefined ? undefined : literalTarget(literal);
  return target ? `${target.type}/${target.id}` : undefined;
}
