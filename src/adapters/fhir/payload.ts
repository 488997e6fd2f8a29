import type { EntryRefusal } from './errors.ts';
import type { JsonObject } from './json.ts';

/** One resource of the payload, with where it sits. */
export interface PayloadEntry {
  /** 0-based position in Bundle.entry; 0 for a single resource. */
  index: number;
  /** FHIRPath of the resource: `Bundle.entry[3].resource`, or the resource type for a single resource. */
  base: string;
  /** An R4 resource type (checked against the closed list). */
  type: string;
  resource: JsonObject;
  /** Resource.id, or the id a PUT's request.url names when the resource carries none. */
  id?: string;
  fullUrl?: string;
}

/** An entry refused before any mapping, e.g. a DELETE or a read inside a batch. */
export interface RefusedEntry {
  index: number;
  type: string;
  refusal: EntryRefusal;
}

export interface Payload {
  /** `FHIR:Bundle-transaction`, `FHIR:Observation`. */
  event: string;
  /** A transaction or a single resource: one entry that cannot be mapped refuses the whole payload. */
  allOrNothing: boolean;
  entries: PayloadEntry[];
  refused: RefusedEntry[];
  /** Bundle.timestamp or meta.lastUpdated, unparsed, and where it was. */
  time?: { value: unknown; at: string };
}
