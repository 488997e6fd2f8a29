import type { SimSourceName } from './sources.ts';

/**
 * A message before it is sent anywhere: when the source says it happened (`at`, MSH-7), when it reaches Vigil
 * (`deliverAt`; different when the plan delivers it out of order), and how to write it once its control id is known.
 */
export type ClinicalKind = 'adt' | 'oru' | 'rde' | 'ras' | 'merge';

export interface Draft {
  source: SimSourceName;
  kind: ClinicalKind;
  /** The event within the kind, for picking which drafts to disturb (`A08`, `ORU-P`, `ORU-F`, …). */
  event: string;
  at: number;
  deliverAt: number;
  /** Creation order: the tie-break that keeps sorting stable and deterministic. */
  seq: number;
  personKey: string;
  /** The MRN the message names; a duplicate registration's MRN differs from its person's. */
  mrn: string;
  /** Lab order number, for keeping a report's versions together. */
  order?: string;
  /** Must be acknowledged before this one is sent for the plan's expectations to hold. */
  after?: Draft;
  render: (controlId: string, at: number) => string;
  controlId?: string;
}

export class DraftBook {
  readonly drafts: Draft[] = [];

  add(d: Omit<Draft, 'seq' | 'deliverAt'> & { deliverAt?: number }): Draft {
    const draft: Draft = { ...d, deliverAt: d.deliverAt ?? d.at, seq: this.drafts.length };
    this.drafts.push(draft);
    return draft;
  }
}
