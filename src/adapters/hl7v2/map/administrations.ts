import type { Dosage, FactInput, MedicationBody, PatientGroup } from '../../../model/clinical.ts';
import type { QualityFlag } from '../../../model/quality.ts';
import { conceptOf } from './codes.ts';
import type { EventInput, EventOutput } from './context.ts';
import { Hl7MappingError } from './errors.ts';
import { patientGroup, requirePatients } from './group.ts';
import { amount, keyOfOrder, ordersOf, routeOf } from './orders.ts';
import { at, components, flag, text, where, type Located } from './segments.ts';
import { hl7Time } from './time.ts';

/** RXA-20 completion status (HL7 table 0322); empty means the dose was given. */
const ADMINISTRATION_STATUS: Record<string, string> = { '': 'completed', CP: 'completed', RE: 'not-done', NA: 'not-done', PA: 'in-progress' };

/**
 * RAS^O17: each RXA is one administration of the order whose ORC precedes it; the RXR that follows an RXA is its route.
 * Its key extends the order's key with RXA-1 and RXA-2 (give and administration sub-ids), and `orderKey` links it to
 * the medication request RDE^O11 made for the same order (both prefer the filler's number).
 */
export function mapAdministrations(input: EventInput): EventOutput {
  const groups: PatientGroup[] = [];
  for (const g of requirePatients(input.segments, 'RAS^O17')) {
    const group = patientGroup(g, input.ctx, 'current', input.flags);
    const { before, orders } = ordersOf(g.members);
    const stray = before.find((m) => m.id === 'RXA');
    if (stray) throw Hl7MappingError.missing({ segment: 'ORC' }, `${stray.position} (administration) comes before any ORC; in RAS^O17 every administration must follow the ORC of its order.`);
    for (const order of orders) {
      const orderKeyText = keyOfOrder(order.orc);
      order.members.forEach((m, i) => {
        if (m.id !== 'RXA') return;
        const next = order.members.slice(i + 1);
        const until = next.findIndex((s) => s.id === 'RXA');
        const rxr = (until < 0 ? next : next.slice(0, until)).find((s) => s.id === 'RXR');
        group.facts.push(mapAdministration(m, rxr, orderKeyText, input));
      });
    }
    groups.push(group);
  }
  return { groups, merges: [] };
}

function mapAdministration(rxa: Located, rxr: Located | undefined, orderKeyText: string, { ctx, keys }: EventInput): FactInput {
  const flags: QualityFlag[] = [];
  const startText = text(rxa.seg, 3);
  if (startText === '') {
    throw Hl7MappingError.missing(where(rxa, 3), `${rxa.position}-3 (date/time start of administration) is empty; the source must say when each dose was given.`);
  }
  const effective = hl7Time(startText, ctx.profile, at(rxa, 3), flags);
  if (!effective) {
    throw Hl7MappingError.invalid(where(rxa, 3), `${rxa.position}-3 (date/time start of administration) is not an HL7 date/time (YYYYMMDDHHMM[SS][+/-ZZZZ]).`);
  }
  const end = hl7Time(text(rxa.seg, 4), ctx.profile, at(rxa, 4), flags);
  const dosage: Dosage = {};
  const dose = amount(rxa, 6, 7);
  if (dose) dosage.dose = dose;
  const route = routeOf(rxr, ctx, flags);
  if (route) dosage.route = route;
  const body: MedicationBody = { orderKey: orderKeyText };
  if (Object.keys(dosage).length) body.dosage = dosage;
  if (end) body.period = { start: effective, end };
  const code = conceptOf(components(rxa.seg, 5), ctx, at(rxa, 5), flags);
  return {
    kind: 'medication-administration',
    sourceKey: keys.unique(`${orderKeyText}/${text(rxa.seg, 1)}/${text(rxa.seg, 2)}`),
    status: administrationStatus(rxa, flags),
    ...(code ? { code } : {}),
    effective,
    body,
    position: rxa.position,
    flags,
  };
}

function administrationStatus(rxa: Located, flags: QualityFlag[]): string {
  // RXA-21 action code D: the sender withdraws an administration it reported earlier.
  if (text(rxa.seg, 21).toUpperCase() === 'D') return 'entered-in-error';
  const status = ADMINISTRATION_STATUS[text(rxa.seg, 20).toUpperCase()];
  if (status) return status;
  flag(flags, 'status-unknown', at(rxa, 20));
  return 'unknown';
}
