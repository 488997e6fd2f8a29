/**
 * A structural check of FHIR R4 JSON, written from the R4 specification for the resources Vigil serves (the
 * StructureDefinitions are not installed, so @medplum/core cannot validate): only elements R4 defines at the top level,
 * required elements present, value sets of the required bindings, no empty values anywhere, references, dates and
 * instants well formed, and the invariants the mappers must honour (ait-1, con-5, ext-1). Returns the problems found.
 */
const DOMAIN = ['resourceType', 'id', 'meta', 'implicitRules', 'language', 'text', 'contained', 'extension', 'modifierExtension'];

const ELEMENTS: Record<string, string[]> = {
  Patient: ['identifier', 'active', 'name', 'telecom', 'gender', 'birthDate', 'deceasedBoolean', 'deceasedDateTime', 'address', 'maritalStatus', 'multipleBirthBoolean', 'multipleBirthInteger', 'photo', 'contact', 'communication', 'generalPractitioner', 'managingOrganization', 'link'],
  Observation: ['identifier', 'basedOn', 'partOf', 'status', 'category', 'code', 'subject', 'focus', 'encounter', 'effectiveDateTime', 'effectivePeriod', 'effectiveTiming', 'effectiveInstant', 'issued', 'performer', 'valueQuantity', 'valueCodeableConcept', 'valueString', 'valueBoolean', 'valueInteger', 'valueRange', 'valueRatio', 'valueSampledData', 'valueTime', 'valueDateTime', 'valuePeriod', 'dataAbsentReason', 'interpretation', 'note', 'bodySite', 'method', 'specimen', 'device', 'referenceRange', 'hasMember', 'derivedFrom', 'component'],
  DiagnosticReport: ['identifier', 'basedOn', 'status', 'category', 'code', 'subject', 'encounter', 'effectiveDateTime', 'effectivePeriod', 'issued', 'performer', 'resultsInterpreter', 'specimen', 'result', 'imagingStudy', 'media', 'conclusion', 'conclusionCode', 'presentedForm'],
  MedicationRequest: ['identifier', 'instantiatesCanonical', 'instantiatesUri', 'basedOn', 'groupIdentifier', 'status', 'statusReason', 'intent', 'category', 'priority', 'doNotPerform', 'reportedBoolean', 'reportedReference', 'medicationCodeableConcept', 'medicationReference', 'subject', 'encounter', 'supportingInformation', 'authoredOn', 'requester', 'performer', 'performerType', 'recorder', 'reasonCode', 'reasonReference', 'courseOfTherapyType', 'insurance', 'note', 'dosageInstruction', 'dispenseRequest', 'substitution', 'priorPrescription', 'detectedIssue', 'eventHistory'],
  MedicationAdministration: ['identifier', 'instantiates', 'partOf', 'status', 'statusReason', 'category', 'medicationCodeableConcept', 'medicationReference', 'subject', 'context', 'supportingInformation', 'effectiveDateTime', 'effectivePeriod', 'performer', 'reasonCode', 'reasonReference', 'request', 'device', 'note', 'dosage', 'eventHistory'],
  MedicationStatement: ['identifier', 'basedOn', 'partOf', 'status', 'statusReason', 'category', 'medicationCodeableConcept', 'medicationReference', 'subject', 'context', 'effectiveDateTime', 'effectivePeriod', 'dateAsserted', 'informationSource', 'derivedFrom', 'reasonCode', 'reasonReference', 'note', 'dosage'],
  MedicationDispense: ['identifier', 'partOf', 'status', 'statusReasonCodeableConcept', 'statusReasonReference', 'category', 'medicationCodeableConcept', 'medicationReference', 'subject', 'context', 'supportingInformation', 'performer', 'location', 'authorizingPrescription', 'type', 'quantity', 'daysSupply', 'whenPrepared', 'whenHandedOver', 'destination', 'receiver', 'note', 'dosageInstruction', 'substitution', 'detectedIssue', 'eventHistory'],
  AllergyIntolerance: ['identifier', 'clinicalStatus', 'verificationStatus', 'type', 'category', 'criticality', 'code', 'patient', 'encounter', 'onsetDateTime', 'onsetAge', 'onsetPeriod', 'onsetRange', 'onsetString', 'recordedDate', 'recorder', 'asserter', 'lastOccurrence', 'note', 'reaction'],
  Condition: ['identifier', 'clinicalStatus', 'verificationStatus', 'category', 'severity', 'code', 'bodySite', 'subject', 'encounter', 'onsetDateTime', 'onsetAge', 'onsetPeriod', 'onsetRange', 'onsetString', 'abatementDateTime', 'abatementAge', 'abatementPeriod', 'abatementRange', 'abatementString', 'recordedDate', 'recorder', 'asserter', 'stage', 'evidence', 'note'],
  DocumentReference: ['masterIdentifier', 'identifier', 'status', 'docStatus', 'type', 'category', 'subject', 'date', 'author', 'authenticator', 'custodian', 'relatesTo', 'description', 'securityLabel', 'content', 'context'],
  Encounter: ['identifier', 'status', 'statusHistory', 'class', 'classHistory', 'type', 'serviceType', 'priority', 'subject', 'episodeOfCare', 'basedOn', 'participant', 'appointment', 'period', 'length', 'reasonCode', 'reasonReference', 'diagnosis', 'account', 'hospitalization', 'location', 'serviceProvider', 'partOf'],
  Provenance: ['target', 'occurredPeriod', 'occurredDateTime', 'recorded', 'policy', 'location', 'reason', 'activity', 'agent', 'entity', 'signature'],
};

const REQUIRED: Record<string, string[][]> = {
  Observation: [['status'], ['code']],
  DiagnosticReport: [['status'], ['code']],
  MedicationRequest: [['status'], ['intent'], ['medicationCodeableConcept', 'medicationReference'], ['subject']],
  MedicationAdministration: [['status'], ['medicationCodeableConcept', 'medicationReference'], ['subject'], ['effectiveDateTime', 'effectivePeriod']],
  MedicationStatement: [['status'], ['medicationCodeableConcept', 'medicationReference'], ['subject']],
  MedicationDispense: [['status'], ['medicationCodeableConcept', 'medicationReference']],
  AllergyIntolerance: [['patient']],
  Condition: [['subject']],
  DocumentReference: [['status'], ['content']],
  Encounter: [['status'], ['class']],
  Provenance: [['target'], ['recorded'], ['agent']],
};

const STATUS: Record<string, string[]> = {
  Observation: ['registered', 'preliminary', 'final', 'amended', 'corrected', 'cancelled', 'entered-in-error', 'unknown'],
  DiagnosticReport: ['registered', 'partial', 'preliminary', 'final', 'amended', 'corrected', 'appended', 'cancelled', 'entered-in-error', 'unknown'],
  MedicationRequest: ['active', 'on-hold', 'cancelled', 'completed', 'entered-in-error', 'stopped', 'draft', 'unknown'],
  MedicationAdministration: ['in-progress', 'not-done', 'on-hold', 'completed', 'entered-in-error', 'stopped', 'unknown'],
  MedicationStatement: ['active', 'completed', 'entered-in-error', 'intended', 'stopped', 'on-hold', 'unknown', 'not-taken'],
  MedicationDispense: ['preparation', 'in-progress', 'cancelled', 'on-hold', 'completed', 'entered-in-error', 'stopped', 'declined', 'unknown'],
  DocumentReference: ['current', 'superseded', 'entered-in-error'],
  Encounter: ['planned', 'arrived', 'triaged', 'in-progress', 'onleave', 'finished', 'cancelled', 'entered-in-error', 'unknown'],
};

const ID = /^[A-Za-z0-9\-.]{1,64}$/;
const DATE_TIME = /^([0-9]{4})(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01])(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00)))?)?)?$/;
const INSTANT = /^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00))$/;
const RELATIVE_REF = /^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}(\/_history\/[A-Za-z0-9\-.]{1,64})?$/;
const INSTANT_KEYS = new Set(['lastUpdated', 'issued', 'recorded']);
const DATE_TIME_KEYS = /(DateTime|^date|^authoredOn|^recordedDate|^dateAsserted|^whenHandedOver|^start|^end)$/;
const REFERENCE_KEYS = new Set(['subject', 'patient', 'encounter', 'request', 'requester', 'serviceProvider', 'managingOrganization', 'result', 'authorizingPrescription', 'what', 'who', 'target']);

function walk(value: unknown, path: string, key: string, problems: string[]): void {
  if (value === null || value === undefined) return void problems.push(`${path}: null or undefined`);
  if (typeof value === 'string') {
    if (value === '' || value.trim() !== value) problems.push(`${path}: empty or padded string`);
    if (INSTANT_KEYS.has(key) && !INSTANT.test(value)) problems.push(`${path}: not an instant`);
    else if (DATE_TIME_KEYS.test(key) && !DATE_TIME.test(value)) problems.push(`${path}: not a dateTime`);
    if (key === 'reference' && !RELATIVE_REF.test(value)) problems.push(`${path}: not a relative reference`);
    return;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) problems.push(`${path}: not a finite number`);
    return;
  }
  if (typeof value === 'boolean') return;
  if (Array.isArray(value)) {
    if (value.length === 0) problems.push(`${path}: empty array`);
    value.forEach((v, i) => walk(v, `${path}[${i}]`, key, problems));
    return;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 0) return void problems.push(`${path}: empty object`);
  if (REFERENCE_KEYS.has(key) && !('reference' in obj || 'identifier' in obj || 'display' in obj)) {
    problems.push(`${path}: a reference without reference, identifier or display`);
  }
  if (key === 'extension' || key === 'modifierExtension') {
    if (typeof obj['url'] !== 'string') problems.push(`${path}: extension without url`);
    const values = keys.filter((k) => k.startsWith('value'));
    if ((values.length === 1) === ('extension' in obj) || values.length > 1) problems.push(`${path}: extension must have a value or extensions, not both (ext-1)`);
  }
  if (key === 'coding' && !('system' in obj || 'code' in obj)) problems.push(`${path}: coding without system or code`);
  if (typeof obj['resourceType'] === 'string' && path !== '$') problems.push(...checkResource(obj).map((p) => `${path}.${p}`));
  else for (const k of keys) walk(obj[k], `${path}.${k}`, k, problems);
}

export function checkResource(resource: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const type = resource['resourceType'];
  if (typeof type !== 'string') return ['resourceType missing'];
  if (type === 'Bundle') {
    if (!('type' in resource)) problems.push('Bundle.type missing');
    for (const k of Object.keys(resource)) if (k !== 'entry' && k !== 'resourceType') walk(resource[k], `Bundle.${k}`, k, problems);
    if (Array.isArray(resource['entry']) && resource['entry'].length === 0) problems.push('Bundle.entry: empty array');
    const entries = (resource['entry'] as { fullUrl?: string; resource?: Record<string, unknown> }[] | undefined) ?? [];
    entries.forEach((e, i) => {
      if (!e.fullUrl || !e.resource) problems.push(`Bundle.entry[${i}]: fullUrl and resource required`);
      else problems.push(...checkResource(e.resource).map((p) => `Bundle.entry[${i}].${p}`));
    });
    return problems;
  }
  if (typeof resource['id'] !== 'string' || !ID.test(resource['id'])) problems.push(`${type}.id invalid`);
  const allowed = ELEMENTS[type];
  if (allowed) for (const k of Object.keys(resource)) if (!DOMAIN.includes(k) && !allowed.includes(k)) problems.push(`${type}.${k} is not an R4 element`);
  for (const alternatives of REQUIRED[type] ?? []) if (!alternatives.some((k) => k in resource)) problems.push(`${type}.${alternatives.join('|')} required`);
  const status = resource['status'];
  if (STATUS[type] && typeof status === 'string' && !STATUS[type]!.includes(status)) problems.push(`${type}.status not in the required value set`);
  if (type === 'Encounter' && resource['class'] && 'coding' in (resource['class'] as object)) problems.push('Encounter.class must be a Coding in R4');
  const enteredInError = JSON.stringify(resource['verificationStatus'] ?? {}).includes('entered-in-error');
  if (type === 'AllergyIntolerance' && !enteredInError && !resource['clinicalStatus']) problems.push('ait-1: clinicalStatus required unless entered in error');
  if ((type === 'AllergyIntolerance' || type === 'Condition') && enteredInError && resource['clinicalStatus']) problems.push(`${type}: no clinicalStatus when entered in error (ait-2, con-5)`);
  if (type === 'AllergyIntolerance') for (const r of (resource['reaction'] as { manifestation?: unknown[] }[] | undefined) ?? []) if (!r.manifestation?.length) problems.push('AllergyIntolerance.reaction.manifestation required');
  if (type === 'DocumentReference') for (const c of (resource['content'] as { attachment?: unknown }[] | undefined) ?? []) if (!c.attachment) problems.push('DocumentReference.content.attachment required');
  if (type === 'Provenance') for (const a of (resource['agent'] as { who?: unknown }[] | undefined) ?? []) if (!a.who) problems.push('Provenance.agent.who required');
  for (const k of Object.keys(resource)) if (k !== 'resourceType') walk(resource[k], `${type}.${k}`, k, problems);
  return problems;
}
