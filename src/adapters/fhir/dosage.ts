import type { Dosage } from '../../model/clinical.ts';
import type { QualityFlag } from '../../model/quality.ts';
import { doseFromText } from '../hl7v2/map/quantity.ts';
import { conceptOf, conceptText } from './codes.ts';
import type { FhirMapContext } from './context.ts';
import { flag } from './flags.ts';
import { booleanAt, numberAt, objectAt, objectsAt, stringAt, stringsAt, type JsonObject } from './json.ts';
import { quantityOf } from './quantity.ts';

/**
 * A Dosage (or MedicationAdministration.dosage, which has `dose` instead of doseAndRate) as the model's Dosage.
 * When no structured dose is sent, an unambiguous dose in the text is read, by the HL7 mapper's rule, and flagged
 * `dose-parsed-from-text`.
 */
export function dosageOf(d: JsonObject, at: string, ctx: FhirMapContext, flags: QualityFlag[]): Dosage | undefined {
  const dosage: Dosage = {};
  const text = stringAt(d, 'text');
  if (text) dosage.text = text;
  const given = quantityOf(d['dose'])?.quantity ?? objectsAt(d, 'doseAndRate').map(([dr]) => quantityOf(dr['doseQuantity'])?.quantity).find(Boolean);
  if (given) dosage.dose = given;
  else if (text) {
    const written = doseFromText(text);
    if (written) {
      dosage.dose = written;
      flag(flags, 'dose-parsed-from-text', `${at}.text`);
    }
  }
  const route = conceptOf(d['route'], ctx, `${at}.route`, flags);
  if (route) dosage.route = route;
  const frequency = frequencyOf(d);
  if (frequency) dosage.frequency = frequency;
  return Object.keys(dosage).length > 0 ? dosage : undefined;
}

/**
 * How often, as text: the timing's code (`BID`, `Q8H`) when sent, else its repeat written out
 * (`2 per 1 d`, `1 per 4-6 h`, with `when` codes and times of day), and `as needed` when the dosage says so.
 */
function frequencyOf(d: JsonObject): string | undefined {
  const timing = objectAt(d, 'timing');
  let text = conceptText(timing?.['code']);
  const repeat = objectAt(timing, 'repeat');
  if (!text && repeat) {
    const parts: string[] = [];
    const period = numberAt(repeat, 'period');
    const unit = stringAt(repeat, 'periodUnit');
    if (period !== undefined && unit) {
      const times = `${numberAt(repeat, 'frequency') ?? 1}${range(numberAt(repeat, 'frequencyMax'))}`;
      parts.push(`${times} per ${period}${range(numberAt(repeat, 'periodMax'))} ${unit}`);
    }
    const when = stringsAt(repeat, 'when');
    if (when.length) parts.push(when.join(', '));
    const times = stringsAt(repeat, 'timeOfDay');
    if (times.length) parts.push(`at ${times.join(', ')}`);
    text = parts.join(' ') || undefined;
  }
  const asNeeded = booleanAt(d, 'asNeededBoolean') === true || objectAt(d, 'asNeededCodeableConcept') !== undefined;
  if (asNeeded) text = text ? `${text} as needed` : 'as needed';
  return text;
}

const range = (max: number | undefined) => (max === undefined ? '' : `-${max}`);
