import type { QualityFlag } from './quality.ts';
import type { SourceTime } from './time.ts';

/**
 * Where a fact came from and how much to trust it (FHIR Provenance, W3C PROV vocabulary). Stored with every version of
 * every fact and patient record.
 */
export type Derivation = 'asserted' | 'merged' | 'inferred' | 'entered';

export interface ProvenanceRecord {
  derivation: Derivation;
  /** Source system (gateway source id) — absent for facts entered by a person. */
  sourceId?: string;
  sourceName?: string;
  /** Inbox message id and the position of the fact in it. */
  messageId?: string;
  position?: string;
  sourceTime?: SourceTime;
  receivedAt: string;
  /** Adapter, profile and profile version that produced the fact, e.g. `hl7v2/adt@1 profile 3`. */
  transform?: string;
  /** 1 when the source said it plainly; lower when a transform guessed. */
  confidence: number;
  flags: QualityFlag[];
  /** For derivation `merged`: the facts or records it came from; for `entered`: the person. */
  from?: string[];
  enteredBy?: string;
}
