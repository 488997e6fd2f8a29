import type { FactInput, Identifier } from '../../model/clinical.ts';
import type { SourceProfile } from '../source-profile.ts';
import type { JsonObject } from './json.ts';
import type { PayloadEntry } from './payload.ts';
import type { ReferenceIndex } from './references.ts';

export interface FhirMapContext {
  profile: SourceProfile;
  /** Gateway source id: names the source's local code systems and its FHIR patient ids (`urn:vigil:source:<id>:…`). */
  sourceId: string;
  /** The clock, passed in so mapping stays a pure function (birth dates in the future are judged against it). */
  now: Date;
}

/** What every resource mapper gets: the context, the payload's references, and the source keys handed out. */
export interface MapState {
  ctx: FhirMapContext;
  refs: ReferenceIndex;
  /** The source key of a keyed entry (facts, encounters); throws its EntryRefusal when it has neither id nor identifier. */
  keyOf(entry: PayloadEntry): string;
  /** The key another entry got, or undefined when that entry could not be keyed. */
  peekKey(entry: PayloadEntry): string | undefined;
  /** A key for a fact that is part of a resource (a component); numbered `#2`, `#3` if the payload already used it. */
  uniqueKey(key: string): string;
  /** The Patient entry of the payload that carries this identifier, if any. */
  patientWith(identifier: Identifier): PayloadEntry | undefined;
}

/** How one supported resource type becomes facts. */
export interface ResourceMapper {
  /** The element naming the patient the resource is about. */
  patient: 'subject' | 'patient';
  /** The Reference to the encounter the resource belongs to, when the type has one. */
  encounter(resource: JsonObject): unknown;
  map(entry: PayloadEntry, m: MapState): FactInput[];
}
