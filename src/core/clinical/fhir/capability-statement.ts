import { CLINICAL_TYPES, type ClinicalType } from '../resource-types.ts';
import { SEARCH_PARAMS, type SearchParamSpec } from './search-params.ts';
import type { FhirResource } from './types.ts';

/**
 * What the FHIR R4 face serves, and nothing more: the clinical types (read and search), Provenance, Patient (served
 * by the patient routes) with $everything, Binary read (a document's stored content, under its DocumentReference's
 * decision), and AuditEvent search (served by the privacy officer's routes). The
 * Patient and AuditEvent parameters are stated here as those routes accept them; the route tests check both.
 */
const PATIENT_PARAMS: SearchParamSpec[] = [
  { name: 'name', type: 'string', documentation: 'Part of the family or given name.' },
  { name: 'family', type: 'string', documentation: 'Start of the family name.' },
  { name: 'given', type: 'string', documentation: 'Part of a given name.' },
  { name: 'identifier', type: 'token', documentation: '[system|]value.' },
  { name: 'birthdate', type: 'date', documentation: 'YYYY-MM-DD (exact day).' },
  { name: '_count', type: 'number', documentation: 'Page size, 0 to 100.' },
  { name: '_offset', type: 'number', documentation: 'Where the page starts.' },
];

const AUDIT_PARAMS: SearchParamSpec[] = [
  { name: 'patient', type: 'reference', documentation: 'Patient/<id> or <id>.' },
  { name: 'agent', type: 'reference', documentation: 'The person or client who acted.' },
  { name: 'subtype', type: 'token', documentation: "Vigil's action, e.g. chart.read." },
  { name: 'outcome', type: 'token', documentation: '0 success, 4 denied, 8 error.' },
  { name: 'date', type: 'date', documentation: 'When it was recorded; may be given twice.' },
  { name: '_count', type: 'number', documentation: 'Page size, 1 to 200.' },
  { name: '_offset', type: 'number', documentation: 'Where the page starts.' },
];

const PROVENANCE_PARAMS: SearchParamSpec[] = [{ name: 'target', type: 'reference', documentation: 'Type/id of a clinical resource: one Provenance per version of it you may see.' }];

const READ_SEARCH = [{ code: 'read' }, { code: 'search-type' }];

function resource(type: string, params: readonly SearchParamSpec[], interaction = READ_SEARCH, extra: Record<string, unknown> = {}) {
  // FHIR allows no empty array: a type without search parameters has no searchParam at all.
  const searchParam = params.map((p) => ({ name: p.name, type: p.type, documentation: p.documentation }));
  return { type, interaction, ...(searchParam.length > 0 ? { searchParam } : {}), ...extra };
}

export interface CapabilityContext {
  base: string;
  tokenUrl: string;
  version: string;
  date: string;
}

export function capabilityStatement(ctx: CapabilityContext): FhirResource {
  const clinical = CLINICAL_TYPES.map((type: ClinicalType) => resource(type, SEARCH_PARAMS[type]));
  return {
    resourceType: 'CapabilityStatement',
    id: 'vigil',
    status: 'active',
    date: ctx.date,
    publisher: 'Vigil',
    kind: 'instance',
    software: { name: 'Vigil', version: ctx.version },
    implementation: { description: 'Vigil clinical data platform: read-only FHIR R4 face over normalized, permission-filtered facts', url: ctx.base },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [
      {
        mode: 'server',
        documentation: 'Every read is decided per patient (care relation, facility, security labels, result status, break-glass) and audited; searches count only what the caller may see.',
        security: {
          service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] }],
          extension: [{ url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris', extension: [{ url: 'token', valueUri: ctx.tokenUrl }] }],
          description: 'Bearer access tokens: a person signed in at /auth/login, or a system client (SMART Backend Services) from the token endpoint.',
        },
        resource: [
          resource('Patient', PATIENT_PARAMS, READ_SEARCH, { operation: [{ name: 'everything', definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything' }] }),
          ...clinical,
          resource('Provenance', PROVENANCE_PARAMS),
          resource('Binary', [], [{ code: 'read' }], {
            documentation: 'The stored content of a document, by its DocumentReference id (attachment.url points here); read only, under the same decision and audit as the DocumentReference.',
          }),
          resource('AuditEvent', AUDIT_PARAMS, [{ code: 'search-type' }]),
        ],
      },
    ],
  };
}
