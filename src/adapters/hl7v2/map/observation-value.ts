import type { ObservationValue } from '../../../model/clinical.ts';
import type { QualityFlag } from '../../../model/quality.ts';
import { conceptOf } from './codes.ts';
import type { MapContext } from './context.ts';
import { parseNumber, unitOf } from './quantity.ts';
import { at, components, flag, type Located } from './segments.ts';
import { hl7Time } from './time.ts';

/**
 * OBX-5 as the text the sender meant: repetitions on separate lines, and a component separator inside text kept as
 * the character (text types have no components, so an unescaped `^` there is the sender's text, not structure).
 */
function wholeText(obx: Located): string {
  const sep = obx.seg.message.delimiters.component;
  return obx.seg
    .tree(5)
    .map((rep) => rep.map((comp) => comp.join(obx.seg.message.delimiters.subcomponent)).join(sep))
    .join('\n')
    .trim();
}

const TEXT_TYPES = new Set(['ST', 'TX', 'FT']);
const CODED_TYPES = new Set(['CE', 'CWE', 'CNE']);
const TIME_TYPES = new Set(['DT', 'DTM', 'TS']);

/**
 * OBX-5 read by its declared type (OBX-2). A value that does not fit its type, and a type Vigil does not model, are
 * kept as text and flagged `value-type-unknown` so nothing the source said is lost. ED (encapsulated data, usually a
 * base64 document) is the exception: documents are stored encrypted as documents, never as an observation's text, so
 * its content is left out and the observation flagged.
 */
export function observationValue(obx: Located, ctx: MapContext, flags: QualityFlag[]): ObservationValue | undefined {
  const type = (obx.seg.get(2) ?? '').trim().toUpperCase();
  const leaves = obx.seg.tree(5).flat(2);
  if (leaves.every((v) => v.trim() === '' || v === '""')) return undefined;
  const whole = wholeText(obx);
  const first = components(obx.seg, 5, 1);
  const where5 = at(obx, 5);

  if (type === 'NM') {
    const n = parseNumber(first[0] ?? '');
    if (n) return quantity(obx, n.value, n.comparator);
  } else if (type === 'SN') {
    // SN: comparator ^ number ^ separator/suffix ^ number. Only a single number is a quantity; 1:128 or 2-5 stays text.
    const [comparator = '', n1 = '', separator = '', n2 = ''] = first;
    const n = separator === '' && n2 === '' && comparator !== '<>' ? parseNumber(`${comparator}${n1}`) : undefined;
    if (n) return quantity(obx, n.value, n.comparator);
    return { type: 'string', text: `${comparator}${n1}${separator}${n2}` };
  } else if (TEXT_TYPES.has(type)) {
    return { type: 'string', text: whole };
  } else if (CODED_TYPES.has(type)) {
    const concept = conceptOf(first, ctx, where5, flags);
    if (concept) return { type: 'concept', concept };
  } else if (TIME_TYPES.has(type)) {
    const time = hl7Time(first[0] ?? '', ctx.profile, where5, flags);
    return time ? { type: 'datetime', time } : { type: 'string', text: whole };
  } else if (type === 'ED') {
    flag(flags, 'value-type-unknown', where5);
    return undefined;
  }
  flag(flags, 'value-type-unknown', where5);
  return { type: 'string', text: whole };
}

function quantity(obx: Located, value: number, comparator: '<' | '<=' | '>=' | '>' | undefined): ObservationValue {
  const unit = unitOf(components(obx.seg, 6, 1));
  return { type: 'quantity', quantity: { value, ...unit }, ...(comparator ? { comparator } : {}) };
}
