import assert from 'node:assert/strict';
import type { NormalizedMessage } from '../../model/clinical.ts';
import { DEFAULT_PROFILE, type SourceProfile } from '../source-profile.ts';
import { mapFhirPayload, type FhirEntryResult, type FhirMapContext, type FhirMappingError } from './index.ts';

/** Test-only helpers: build FHIR payloads from plain objects and map them with a known profile and clock. */

export type Resource = Record<string, unknown>;

export const NOW = new Date('2025-06-15T12:00:00Z');

export function context(profile: Partial<SourceProfile> = {}): FhirMapContext {
  return { profile: { ...DEFAULT_PROFILE, timeZone: 'America/New_York', ...profile }, sourceId: 'ehr1', now: NOW };
}

export const MRN_SYSTEM = 'http://hospital.example/mrn';

export function patient(overrides: Resource = {}): Resource {
  return {
    resourceType: 'Patient',
    id: 'p1',
    identifier: [{ system: MRN_SYSTEM, value: '12345', type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] } }],
    name: [{ use: 'official', family: 'Doe', given: ['Jane'] }],
    birthDate: '1980-01-01',
    gender: 'female',
    ...overrides,
  };
}

export function observation(overrides: Resource = {}): Resource {
  return {
    resourceType: 'Observation',
    id: 'o1',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '2345-7', display: 'Glucose' }] },
    subject: { reference: 'Patient/p1' },
    effectiveDateTime: '2024-01-02T08:30:00-05:00',
    valueQuantity: { value: 5.4, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' },
    ...overrides,
  };
}

/** A Bundle whose entries are the resources given; an entry given as `{ fullUrl, resource, request }` is kept as it is. */
export function bundle(type: string, ...items: Resource[]): Resource {
  return { resourceType: 'Bundle', type, entry: items.map((r) => ('resourceType' in r ? { resource: r } : r)) };
}

export function mapOk(json: unknown, ctx: FhirMapContext = context()): { normalized: NormalizedMessage; entries: FhirEntryResult[] } {
  const out = mapFhirPayload(json, ctx);
  if (!out.ok) assert.fail(`expected the payload to map, got ${out.error.code}: ${JSON.stringify(out.error.issues)}`);
  return { normalized: out.normalized, entries: out.entries };
}

export function mapError(json: unknown, ctx: FhirMapContext = context()): FhirMappingError {
  const out = mapFhirPayload(json, ctx);
  if (out.ok) assert.fail('expected the payload to be refused');
  return out.error;
}

// Both mappers produce the same normalized message, so their tests read it with the same helpers.
export { facts, flagCodes, medicationBody, observationBody } from '../hl7v2/map/test-helpers.ts';
