import type { Coding, FactKind } from '../../model/clinical.ts';
import type { Derivation, ProvenanceRecord } from '../../model/provenance.ts';

/**
 * A clinical fact as the read side sees it: the current version from `clinical_facts`, how many versions it has, the
 * provenance of the version that is current, and the name of the source that sent it. Bodies keep the shapes of
 * src/model/clinical.ts; mappers narrow them by kind.
 */
export interface StoredFact {
  id: string;
  kind: FactKind;
  patientId: string;
  encounterId: string | null;
  sourceId: string | null;
  sourceKey: string;
  sourceName: string | null;
  status: string;
  codings: Coding[];
  codeDisplay: string | null;
  effectiveAt: Date | null;
  body: Record<string, unknown>;
  derivation: Derivation;
  confidence: number;
  sourceTime: Date | null;
  lastConfirmedAt: Date;
  /**
   * A medication from an active-only source that a later list left out: when that list was made. The fact's status,
   * derivation and confidence then say "stopped, inferred"; its versions keep what the source said.
   */
  absentSince: Date | null;
  /** Labels the source put on the fact (a restricted document); only readers who open them all see it. */
  securityLabels: readonly string[];
  /** Number of stored versions. */
  versions: number;
  /** Arrival number of the version whose content is current: the resource's meta.versionId (stable, never renumbered). */
  versionId: number;
  /** When the newest version was recorded: the resource's meta.lastUpdated. */
  lastUpdated: Date;
  /** Provenance of the version whose content is current; null only if the version row is missing. */
  provenance: ProvenanceRecord | null;
}

/** Links between facts, resolved by source key in SQL under the same visibility as the facts themselves. */
export interface FactLinks {
  /** For a report: the ids of its observations the caller may see. */
  results?: readonly string[];
  /** For an administration or a dispense: the id of the medication request it fulfils. */
  requestId?: string;
}

/** One stored version of a fact: `number` is its arrival number (its FHIR versionId); lists put them in the order the writer ranks them, the current one last. */
export interface StoredVersion {
  id: string;
  factId: string;
  kind: FactKind;
  number: number;
  status: string;
  codings: Coding[];
  effectiveAt: Date | null;
  body: Record<string, unknown>;
  sourceTime: Date | null;
  recordedAt: Date;
  provenance: ProvenanceRecord;
  current: boolean;
}

/** An encounter row as the read side sees it (encounters are overwritten in place: they keep no versions). */
export interface StoredEncounter {
  id: string;
  patientId: string;
  facilityId: string | null;
  status: 'planned' | 'active' | 'finished' | 'cancelled';
  class: string;
  startsAt: Date | null;
  endsAt: Date | null;
  sourceId: string | null;
  sourceKey: string | null;
  sourceName: string | null;
  location: string | null;
  provenance: ProvenanceRecord | null;
  updatedAt: Date;
}
