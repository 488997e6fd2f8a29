/**
 * The slice of FHIR R4 (4.0.1) datatypes Vigil's mappers emit. @medplum/fhirtypes is not a dependency, so these are
 * written from the R4 specification; only elements Vigil fills are declared.
 */
export interface Coding {
  system?: string;
  code?: string;
  display?: string;
}

export interface CodeableConcept {
  coding?: Coding[];
  text?: string;
}

export interface Identifier {
  system?: string;
  value?: string;
  type?: CodeableConcept;
}

export interface Reference {
  reference?: string;
  type?: string;
  identifier?: Identifier;
  display?: string;
}

export interface Period {
  start?: string;
  end?: string;
}

export interface Quantity {
  value?: number;
  comparator?: '<' | '<=' | '>=' | '>';
  unit?: string;
  system?: string;
  code?: string;
}

export interface Extension {
  url: string;
  valueDecimal?: number;
  valueString?: string;
  valueCode?: string;
  valueDateTime?: string;
  valueUri?: string;
  extension?: Extension[];
}

export interface Meta {
  versionId?: string;
  lastUpdated?: string;
  source?: string;
  tag?: Coding[];
  security?: Coding[];
}

export interface Dosage {
  text?: string;
  timing?: { code?: CodeableConcept };
  route?: CodeableConcept;
  doseAndRate?: { doseQuantity?: Quantity }[];
}

/** Any resource Vigil serves: resourceType and id always, the rest per type. */
export interface FhirResource {
  resourceType: string;
  id: string;
  meta?: Meta;
  extension?: Extension[];
  [element: string]: unknown;
}

export interface BundleLink {
  relation: 'self' | 'next' | 'previous';
  url: string;
}
