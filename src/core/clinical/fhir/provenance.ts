import type { ProvenanceRecord } from '../../../model/provenance.ts';
import { VIGIL_SYSTEM } from './common.ts';
import type { Extension, FhirResource, Reference } from './types.ts';

const PARTICIPANT_TYPE = 'http://terminology.hl7.org/CodeSystem/provenance-participant-type';
const DERIVATION_DISPLAY: Record<ProvenanceRecord['derivation'], string> = {
  asserted: 'stated by the source',
  merged: 'merged from several statements',
  inferred: 'inferred by a transform',
  entered: 'entered by a person',
};

export interface ProvenanceTarget {
  resourceType: string;
  id: string;
  /** The version this provenance describes; absent for resources that keep no versions (encounters). */
  version?: number;
}

/**
 * One FHIR R4 Provenance per stored version: what the version is (target with its _history version), when Vigil
 * recorded it and when the source said it happened, who stated it (the source system) and what transformed it, the
 * inbox message it came from, the derivation as the activity, and Vigil's confidence and quality flags as extensions.
 */
export function toProvenance(id: string, target: ProvenanceTarget, record: ProvenanceRecord, recordedAt: Date): FhirResource {
  const targetRef = `${target.resourceType}/${target.id}${target.version !== undefined ? `/_history/${target.version}` : ''}`;
  const out: FhirResource = { resourceType: 'Provenance', id, extension: extensionsOf(record) };
  out.target = [{ reference: targetRef }];
  if (record.sourceTime) out.occurredDateTime = record.sourceTime.instant;
  out.recorded = recordedAt.toISOString();
  out.activity = { coding: [{ system: VIGIL_SYSTEM.derivation, code: record.derivation, display: DERIVATION_DISPLAY[record.derivation] }] };
  out.agent = agentsOf(record);
  const entity = entitiesOf(record);
  if (entity.length) out.entity = entity;
  return out;
}

function agentsOf(record: ProvenanceRecord): Record<string, unknown>[] {
  const role = (code: string) => ({ coding: [{ system: PARTICIPANT_TYPE, code }] });
  const agents: Record<string, unknown>[] = [];
  if (record.derivation === 'entered' && record.enteredBy) {
    agents.push({ type: role('enterer'), who: { type: 'Practitioner', identifier: { system: 'urn:vigil:person', value: record.enteredBy } } });
  } else {
    const who: Reference = { type: 'Device', display: record.sourceName ?? 'unregistered source' };
    if (record.sourceId) who.identifier = { system: 'urn:vigil:gateway-source', value: record.sourceId };
    agents.push({ type: role('author'), who });
  }
  if (record.transform) agents.push({ type: role('assembler'), who: { type: 'Device', display: `Vigil ${record.transform}` } });
  return agents;
}

function entitiesOf(record: ProvenanceRecord): Record<string, unknown>[] {
  const entities: Record<string, unknown>[] = [];
  if (record.messageId) {
    entities.push({ role: 'source', what: { identifier: { system: VIGIL_SYSTEM.gatewayMessage, value: record.messageId }, ...(record.position ? { display: `at ${record.position}` } : {}) } });
  }
  for (const from of record.from ?? []) entities.push({ role: 'derivation', what: { identifier: { system: 'urn:vigil:fact', value: from } } });
  return entities;
}

function extensionsOf(record: ProvenanceRecord): Extension[] {
  const out: Extension[] = [{ url: VIGIL_SYSTEM.confidence, valueDecimal: Math.round(record.confidence * 1000) / 1000 }];
  if (record.transform) out.push({ url: VIGIL_SYSTEM.transform, valueString: record.transform });
  for (const flag of record.flags ?? []) {
    out.push({ url: VIGIL_SYSTEM.qualityFlag, extension: [{ url: 'code', valueCode: flag.code }, ...(flag.at ? [{ url: 'at', valueString: flag.at }] : [])] });
  }
  return out;
}
