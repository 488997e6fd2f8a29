import type { Dosage, FactInput, MedicationBody, PatientGroup } from '../../../model/clinical.ts';
import type { QualityFlag } from '../../../model/quality.ts';
import { conceptOf } from './codes.ts';
import type { EventInput, EventOutput } from './context.ts';
import { Hl7MappingError } from './errors.ts';
import { patientGroup, requirePatients } from './group.ts';
import { amount, keyOfOrder, nearest, ordersOf, routeOf, type Order } from './orders.ts';
import { doseFromText } from './quantity.ts';
import { at, components, flag, repetitionCount, text, where, type Located } from './segments.ts';
import { hl7Time } from './time.ts';

/** ORC-5 order status (HL7 table 0038): what the order is now, when the sender says so. */
const ORDER_STATUS: Record<string, string> = {
  A: 'active', IP: 'active', SC: 'active', CM: 'completed', CA: 'cancelled', DC: 'stopped', HD: 'on-hold', ER: 'entered-in-error',
};

/** ORC-1 order control (HL7 table 0119): what happened to the order, read when ORC-5 is empty or unknown. */
const ORDER_CONTROL: Record<string, string> = {
  NW: 'active', OK: 'active', XO: 'active', XX: 'active', RL: 'active', RO: 'active', RP: 'active', RU: 'active',
  CA: 'cancelled', CR: 'cancelled', OC: 'cancelled',
  DC: 'stopped', DR: 'stopped', OD: 'stopped',
  HD: 'on-hold', HR: 'on-hold', OH: 'on-hold',
};

/**
 * RDE^O11: each ORC with its RXE is one medication request. The encoded parts (RXE, and the TQ1/RXR after it) are
 * what the pharmacy verified, so they win over the ordered ones (RXO, and the TQ1/RXR before the RXE).
 */
export function mapPharmacyOrders(input: EventInput): EventOutput {
  const groups: PatientGroup[] = [];
  for (const g of requirePatients(input.segments, 'RDE^O11')) {
    const group = patientGroup(g, input.ctx, 'current', input.flags);
    for (const order of ordersOf(g.members).orders) group.facts.push(mapRequest(order, input));
    groups.push(group);
  }
  return { groups, merges: [] };
}

function mapRequest(order: Order, { ctx, keys }: EventInput): FactInput {
  const { orc } = order;
  const rxe = order.members.find((m) => m.id === 'RXE');
  if (!rxe) {
    throw Hl7MappingError.missing(where(orc), `${orc.position} (common order) is not followed by an RXE segment; every order in RDE^O11 must carry its pharmacy encoding.`);
  }
  const flags: QualityFlag[] = [];
  const key = keys.unique(keyOfOrder(orc));
  const tq1 = nearest(order, 'TQ1', rxe);
  const rxr = nearest(order, 'RXR', rxe);

  const dosage: Dosage = {};
  const instructions: string[] = [];
  for (let rep = 1; rep <= repetitionCount(rxe.seg, 7); rep++) {
    const line = text(rxe.seg, 7, rep, 2) || text(rxe.seg, 7, rep, 1);
    if (line) instructions.push(line);
  }
  if (instructions.length) dosage.text = instructions.join('\n');
  const given = amount(rxe, 3, 5);
  const written = given || dosage.text === undefined ? undefined : doseFromText(dosage.text);
  if (given) dosage.dose = given;
  else if (written) {
    dosage.dose = written;
    flag(flags, 'dose-parsed-from-text', at(rxe, 7));
  }
  const route = routeOf(rxr, ctx, flags);
  if (route) dosage.route = route;
  // RXE-1 (TQ, deprecated since v2.5) component 2.1 is the repeat pattern; TQ1-3.1 replaced it.
  const frequency = text(rxe.seg, 1, 1, 2, 1) || (tq1 ? text(tq1.seg, 3, 1, 1, 1) || text(tq1.seg, 3, 1, 1, 2) : '');
  if (frequency) dosage.frequency = frequency;

  const body: MedicationBody = {};
  if (Object.keys(dosage).length) body.dosage = dosage;
  const start = hl7Time(text(rxe.seg, 1, 1, 4, 1), ctx.profile, at(rxe, 1), flags) ?? (tq1 && hl7Time(text(tq1.seg, 7), ctx.profile, at(tq1, 7), flags));
  const end = hl7Time(text(rxe.seg, 1, 1, 5, 1), ctx.profile, at(rxe, 1), flags) ?? (tq1 && hl7Time(text(tq1.seg, 8), ctx.profile, at(tq1, 8), flags));
  if (start || end) body.period = { ...(start ? { start } : {}), ...(end ? { end } : {}) };
  const dispense = amount(rxe, 10, 11);
  if (dispense) body.quantity = dispense;
  // Only the prescriber's id (XCN.1): names belong to the directory, not to every order that mentions them.
  const prescriber = text(orc.seg, 12, 1, 1);
  if (prescriber) body.prescriber = prescriber;

  const code = conceptOf(components(rxe.seg, 2), ctx, at(rxe, 2), flags);
  const authored = hl7Time(text(orc.seg, 9), ctx.profile, at(orc, 9), flags);
  return {
    kind: 'medication-request',
    sourceKey: key,
    status: requestStatus(orc, flags),
    ...(code ? { code } : {}),
    ...(authored ? { effective: authored } : {}),
    body,
    position: rxe.position,
    flags,
  };
}

function requestStatus(orc: Located, flags: QualityFlag[]): string {
  const status = ORDER_STATUS[text(orc.seg, 5).toUpperCase()] ?? ORDER_CONTROL[text(orc.seg, 1).toUpperCase()];
  if (status) return status;
  flag(flags, 'status-unknown', at(orc, text(orc.seg, 5) ? 5 : 1));
  return 'unknown';
}
