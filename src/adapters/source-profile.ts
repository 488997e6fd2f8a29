import type { Identifier, PatientRecordInput } from '../model/clinical.ts';

/**
 * A source's profile: the quirks of one sending system, versioned and stored by the gateway. Adapters read it; the
 * normalized model never sees it. A profile change is a new version (audited) and past messages can be replayed over it.
 */
export interface SourceProfile {
  /** IANA zone of the source's naive timestamps (no offset given), e.g. `America/New_York`. */
  timeZone: string;
  identifiers: {
    /** Assigning authority → identifier system URI. Authorities not listed get `urn:vigil:authority:<name>`. */
    systems: Record<string, string>;
    /** Authority assumed when PID-3.4 is empty; without it such identifiers are kept with a flag and never matched on. */
    defaultAuthority?: string;
    /** Identifier types (PID-3.5) the source uses for its medical record number; the first identifier otherwise. */
    recordNumberTypes: string[];
  };
  /** Local code system names (OBX-3.3 etc.) → URIs, e.g. `LN` → `http://loinc.org`. */
  codeSystems: Record<string, string>;
  /** Local codes mapped to a standard coding; the local coding is kept beside it. */
  codeMaps: CodeMapEntry[];
  /** Whether the source sends only active medications (absence means stopped) or a full history. */
  medications: 'active-only' | 'full-history';
  /** What to do with a result or order for a patient the index has not seen: wait for the ADT, or create the record. */
  unknownPatient: 'park' | 'create';
  /** How long a parked message waits for what it references before it goes to the operator. */
  parkMinutes: number;
  /** Expected cadence, watched by the freshness job. Absent: the feed is not watched. */
  cadence?: FeedCadence;
  /** Facility (Vigil directory id) encounters from this source take place in. */
  facilityId?: string;
  /**
   * Refuse (AR, truncated) a message whose last segment has no terminator. HL7 requires one, and it is the only sign
   * of a message cut on a field boundary; but many senders and MLLP libraries leave it off (22 of the 40 corpus files),
   * so it is a per-source promise, off by default. Cuts that break structure are refused either way.
   */
  requireSegmentTerminator?: boolean;
  /**
   * Where the source listens for application acknowledgments (HL7 enhanced mode, MSH-16): after processing, Vigil
   * connects there over MLLP and sends AA/AE/AR as a message of its own. Absent: only the accept acknowledgment
   * (CA/CE/CR) is sent, on the sender's connection.
   */
  applicationAcks?: ApplicationAckDestination;
  /**
   * The source's document confidentiality codes (HL7 v2 TXA-18) → the Vigil security label a document so marked
   * carries, or '' for none. Unlisted codes: U (usual control) and empty carry none, R and V carry R and V, and any
   * other code is carried as it is (flagged): a label the access policy does not name closes the document to everyone.
   */
  documentConfidentiality?: Record<string, string>;
}

export interface ApplicationAckDestination {
  host: string;
  port: number;
}

export interface CodeMapEntry {
  from: { system: string; code: string };
  to: { system: string; code: string; display?: string };
}

export interface FeedCadence {
  /** At least one message every this many minutes … */
  everyMinutes: number;
  /** … between these local times (`HH:MM`, in the profile's zone); all day when absent. */
  activeFrom?: string;
  activeTo?: string;
}

export const DEFAULT_PROFILE: Readonly<SourceProfile> = Object.freeze({
  timeZone: 'UTC',
  identifiers: { systems: {}, recordNumberTypes: ['MR'] },
  codeSystems: {
    LN: 'http://loinc.org',
    LOINC: 'http://loinc.org',
    SCT: 'http://snomed.info/sct',
    SNM: 'http://snomed.info/sct',
    RXNORM: 'http://www.nlm.nih.gov/research/umls/rxnorm',
    RXN: 'http://www.nlm.nih.gov/research/umls/rxnorm',
    NDC: 'http://hl7.org/fhir/sid/ndc',
    I10: 'http://hl7.org/fhir/sid/icd-10-cm',
    'ICD10CM': 'http://hl7.org/fhir/sid/icd-10-cm',
    UCUM: 'http://unitsofmeasure.org',
  },
  codeMaps: [],
  medications: 'full-history',
  unknownPatient: 'park',
  parkMinutes: 24 * 60,
});

/** The system URI an assigning authority's identifiers live in. */
/** The identifier the source files a person under: its record number type when it sends one, else the first. */
export function recordKeyOf(profile: SourceProfile, record: PatientRecordInput): Identifier | undefined {
  const preferred = record.identifiers.find((i) => i.type !== undefined && profile.identifiers.recordNumberTypes.includes(i.type));
  return preferred ?? record.identifiers[0];
}

export function identifierSystem(profile: SourceProfile, authority: string): string {
  return profile.identifiers.systems[authority] ?? `urn:vigil:authority:${encodeURIComponent(authority)}`;
}

/** The system URI of a local code system name. */
export function codeSystemUri(profile: SourceProfile, sourceName: string | undefined, sourceId: string): string {
  if (sourceName !== undefined && sourceName !== '') {
    return profile.codeSystems[sourceName] ?? profile.codeSystems[sourceName.toUpperCase()] ?? `urn:vigil:source:${sourceId}:codes:${encodeURIComponent(sourceName)}`;
  }
  return `urn:vigil:source:${sourceId}:codes`;
}
