import type { ChartFact, MedicationBody, ObservationBody, Quantity } from './types.ts';
import { sourceTimeText } from './time.ts';

/** Reading a fact's body for display. Bodies keep the model's shapes (src/model/clinical.ts); nothing here adds data. */

export function factName(fact: ChartFact): string {
  return fact.text ?? fact.code?.display ?? (fact.code ? `${fact.code.code} (${fact.code.system})` : 'Not coded by the source');
}

export function quantityText(q: Quantity | undefined): string | undefined {
  if (!q || typeof q.value !== 'number') return undefined;
  return q.unit ? `${q.value.toLocaleString()} ${q.unit}` : q.value.toLocaleString();
}

export function observationValue(body: ObservationBody): string {
  const v = body.value;
  if (!v) return 'No value';
  if (v.type === 'quantity') return `${v.comparator ?? ''}${quantityText(v.quantity) ?? ''}`;
  if (v.type === 'string') return v.text;
  if (v.type === 'concept') return v.concept.text ?? v.concept.codings[0]?.display ?? v.concept.codings[0]?.code ?? 'Coded value';
  return sourceTimeText(v.time);
}

/** 400 mg · Oral · BID; the free-text instructions come separately. */
export function doseText(body: MedicationBody): string | undefined {
  const d = body.dosage;
  const parts = [quantityText(d?.dose), d?.route?.text ?? d?.route?.codings[0]?.display, d?.frequency].filter((p): p is string => Boolean(p));
  return parts.length ? parts.join(' · ') : undefined;
}

export function bytesText(size: number | undefined): string {
  if (typeof size !== 'number') return '—';
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${Math.round(size / 1024)} KB`;
  return `${(size / (1024 * 1024)).toFixed(1)} MB`;
}
