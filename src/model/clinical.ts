import type { QualityFlag } from './quality.ts';
import type { SourceTime } from './time.ts';
import type { ObservationCategory } from './observation-category.ts';

/**
 * The normalized model: what every adapter produces and what the gateway persists. Names and value sets follow FHIR R4
 * where they fit; the shapes are Vigil's own so that a source's quirks never reach past its adapter.
 */

/** A code with its system; `system` is a URI (`http://loinc.org`) or a source-local system (`urn:vigil:source:…`). */
export interface Coding {
  system: string;
  code: string;
  display?: string;
}

/** The source's coding is always kept; a mapped coding (RxNorm, LOINC) is added beside it, never in its place. */
export interface Concept {
  codings: Coding[];
  text?: string;
}

/** An identifier the way FHIR means it: a value within a system named by its assigning authority. */
export interface Identifier {
  /** URI of the identifier system, derived from the assigning authority by the source profile. */
  system: string;
  value: string;
  /** Assigning authority as the source named it (PID-3.4), kept for the operator. */
  authority?: string;
  /** v2 identifier type code (PID-3.5): MR, PI, SS, … */
  type?: string;
}

export type AdministrativeSex = 'female' | 'male' | 'other' | 'unknown';

export interface Address {
  line?: string;
  city?: string;
  /** State, province or region (HL7 XAD.4, FHIR Address.state). */
  state?: string;
  postalCode?: string;
  country?: string;
}

/** One source's account of a person: what the master patient index links to a Vigil patient. */
export interface PatientRecordInput {
  identifiers: Identifier[];
  family?: string;
  given: string[];
  birthDate?: string;
  sex?: AdministrativeSex;
  phone?: string;
  address?: Address;
  deceased?: boolean;
  flags: QualityFlag[];
}

export type EncounterStatus = 'planned' | 'arrived' | 'in-progress' | 'finished' | 'cancelled' | 'entered-in-error';
export type EncounterClass = 'inpatient' | 'outpatient' | 'emergency' | 'preadmit' | 'recurring' | 'other';

export interface EncounterInput {
  /** The source's visit number (PV1-19) or another stable key for this encounter at the source. */
  sourceKey: string;
  status: EncounterStatus;
  class: EncounterClass;
  start?: SourceTime;
  end?: SourceTime;
  location?: string;
  flags: QualityFlag[];
}

export type FactKind =
  | 'observation'
  | 'diagnostic-report'
  | 'medication-request'
  | 'medication-administration'
  | 'medication-statement'
  | 'medication-dispense'
  | 'allergy'
  | 'condition'
  | 'document';

export type ObservationStatus = 'registered' | 'preliminary' | 'final' | 'amended' | 'corrected' | 'cancelled' | 'entered-in-error' | 'unknown';
export type MedicationRequestStatus = 'active' | 'on-hold' | 'cancelled' | 'completed' | 'entered-in-error' | 'stopped' | 'draft' | 'unknown';
export type MedicationAdministrationStatus = 'in-progress' | 'not-done' | 'on-hold' | 'completed' | 'entered-in-error' | 'stopped' | 'unknown';

export interface Quantity {
  value: number;
  unit?: string;
  /** UCUM when the unit is UCUM. */
  system?: string;
  code?: string;
}

export type ObservationValue =
  | { type: 'quantity'; quantity: Quantity; comparator?: '<' | '<=' | '>=' | '>' }
  | { type: 'string'; text: string }
  | { type: 'concept'; concept: Concept }
  | { type: 'datetime'; time: SourceTime };

export interface ObservationBody {
  value?: ObservationValue;
  referenceRange?: string;
  /** v2/FHIR interpretation codes: H, L, HH, LL, A, N … */
  interpretation?: string;
  /** `sourceKey` of the diagnostic report this result belongs to. */
  reportKey?: string;
  note?: string;
  /** Laboratory, vital signs, imaging …: as the source said (FHIR), or from the codes and service section (v2). */
  category?: ObservationCategory;
}

export interface DiagnosticReportBody {
  /** Placer and filler order numbers as the source gave them. */
  placerOrder?: string;
  fillerOrder?: string;
  /** v2 diagnostic service section (OBR-24). */
  category?: string;
  issued?: SourceTime;
  /** The reporter's summary impression, as text. */
  conclusion?: string;
}

export interface Dosage {
  text?: string;
  dose?: Quantity;
  route?: Concept;
  frequency?: string;
}

export interface MedicationBody {
  dosage?: Dosage;
  period?: { start?: SourceTime; end?: SourceTime };
  /** Order the administration or dispense fulfils, by its `sourceKey`. */
  orderKey?: string;
  quantity?: Quantity;
  prescriber?: string;
}

export interface AllergyBody {
  category?: 'food' | 'medication' | 'environment' | 'biologic';
  criticality?: 'low' | 'high' | 'unable-to-assess';
  /** How bad the reaction was, when the source graded it (HL7 AL1-4 / IAM-4). */
  severity?: 'mild' | 'moderate' | 'severe';
  reaction?: string;
}

export interface ConditionBody {
  onset?: SourceTime;
  abatement?: SourceTime;
  category?: 'problem-list-item' | 'encounter-diagnosis';
}

export interface DocumentBody {
  title?: string;
  contentType?: string;
  /** Document text is kept encrypted with the patient's key; the body carries only its size. */
  size?: number;
  /** SHA-256 (hex) of the content when Vigil stores it: a changed content is a new version, and the reader can check it. */
  digest?: string;
  /** FHIR DocumentReference.docStatus: how far the document is through its authoring (HL7 TXA-17). */
  docStatus?: 'preliminary' | 'final' | 'amended' | 'entered-in-error';
  /** Source key of the document this one replaces or appends to (HL7 TXA-13). */
  relatesTo?: { code: 'replaces' | 'appends'; sourceKey: string };
  authenticated?: SourceTime;
}

/** A document's bytes as the source sent them. Never part of a body: stored encrypted beside the fact version. */
export interface DocumentContent {
  contentType: string;
  data: Uint8Array;
}

export type FactBody = ObservationBody | DiagnosticReportBody | MedicationBody | AllergyBody | ConditionBody | DocumentBody;

/** One clinical statement from a source, before identity resolution. */
export interface FactInput {
  kind: FactKind;
  /** Stable identity of this fact at its source (e.g. filler order + OBX set id + code). Same key → a new version. */
  sourceKey: string;
  /** FHIR status value for the kind. */
  status: string;
  code?: Concept;
  /** Clinically relevant time (observation time, administration time, order time). */
  effective?: SourceTime;
  body: FactBody;
  /** Where in the source message it came from, e.g. `OBX[3]`. */
  position: string;
  flags: QualityFlag[];
  /** Documents only: the content, written encrypted with the version (src/core/clinical/document-content.ts). */
  content?: DocumentContent;
  /**
   * Security labels the source put on this fact (a document's confidentiality, TXA-18 or FHIR meta.security): a reader
   * whose roles open none of them does not see it. Absent or empty for an ordinary fact.
   */
  securityLabels?: readonly string[];
}

/** HL7 v3 Confidentiality: the code system of a document's confidentiality (FHIR securityLabel and meta.security). */
export const CONFIDENTIALITY_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality';

/** HL7 v3 ActCode: encounter classes, and the security labels that are not confidentiality codes. */
export const ACT_CODE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';

/** The confidentiality codes that close a document: R (restricted) and V (very restricted). U, L, M and N close nothing. */
export const CLOSING_CONFIDENTIALITY: ReadonlySet<string> = new Set(['R', 'V']);

/**
 * A source's statement about two of its patient records. `merge` (the default; HL7 ADT A40, FHIR Patient.link
 * replaced-by): one person, the second record retired into the first. `link` (ADT A24): one person, both records kept.
 * `unlink` (ADT A37): not one person after all, undoing the source's earlier link of the two.
 */
export interface MergeInput {
  kind?: 'merge' | 'link' | 'unlink';
  /** The record that survives a merge; the first PID of a link or unlink. */
  survivor: Identifier;
  /** The record a merge retires; the second PID of a link or unlink. */
  retired: Identifier;
  position: string;
}

/** One patient in a message with what the message says about them. */
export interface PatientGroup {
  patient: PatientRecordInput;
  encounter?: EncounterInput;
  facts: FactInput[];
  position: string;
}

/** Everything one source message says, normalized. */
export interface NormalizedMessage {
  /** When the source says the message was created (MSH-7), resolved to an instant. Orders competing versions. */
  sourceTime?: SourceTime;
  /** The event the message reports, e.g. `ADT^A08`, `ORU^R01`. */
  event: string;
  groups: PatientGroup[];
  merges: MergeInput[];
  flags: QualityFlag[];
}
