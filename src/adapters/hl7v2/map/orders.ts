import type { Quantity } from '../../../model/clinical.ts';
import type { QualityFlag } from '../../../model/quality.ts';
import { conceptOf } from './codes.ts';
import type { MapContext } from './context.ts';
import { Hl7MappingError } from './errors.ts';
import { orderKey, orderNumber } from './keys.ts';
import { parseNumber, unitOf } from './quantity.ts';
import { at, components, text, where, type Located } from './segments.ts';

/** Pharmacy messages (RDE, RAS) share this: an ORC opens an order, and the segments up to the next ORC belong to it. */
export interface Order {
  orc: Located;
  /** Segments after the ORC up to the next ORC. */
  members: Located[];
}

export function ordersOf(members: readonly Located[]): { before: Located[]; orders: Order[] } {
  const before: Located[] = [];
  const orders: Order[] = [];
  for (const m of members) {
    if (m.id === 'ORC') orders.push({ orc: m, members: [] });
    else if (orders.length > 0) orders.at(-1)!.members.push(m);
    else before.push(m);
  }
  return { before, orders };
}

export function keyOfOrder(orc: Located): string {
  const key = orderKey(orderNumber(orc, 3), orderNumber(orc, 2));
  if (!key) {
    throw Hl7MappingError.missing(
      where(orc, 2),
      `${orc.position}-3 (filler order number) and ${orc.position}-2 (placer order number) are both empty; the source must send an order number so the order can be updated and its administrations linked to it.`,
    );
  }
  return key;
}

/** The first segment with `id` after `anchor` in the order, else the first before it: the encoded one wins. */
export function nearest(order: Order, id: string, anchor: Located): Located | undefined {
  const i = order.members.indexOf(anchor);
  return order.members.slice(i + 1).find((m) => m.id === id) ?? order.members.slice(0, i).find((m) => m.id === id);
}

export function routeOf(rxr: Located | undefined, ctx: MapContext, flags: QualityFlag[]) {
  // RXR-1 is bound to HL7 table 0162 (route of administration), the system to assume when the sender names none.
  return rxr && conceptOf(components(rxr.seg, 1), ctx, at(rxr, 1), flags, 'HL70162');
}

export function amount(loc: Located, valueField: number, unitField: number): Quantity | undefined {
  const n = parseNumber(text(loc.seg, valueField));
  return n && { value: n.value, ...unitOf(components(loc.seg, unitField)) };
}
