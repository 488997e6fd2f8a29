import type { Identifier } from '../../model/clinical.ts';
import type { QualityFlag } from '../../model/quality.ts';
import { UNKNOWN_AUTHORITY_SYSTEM } from '../hl7v2/map/identifiers.ts';
import { identifierSystem } from '../source-profile.ts';
import { firstCode } from './codes.ts';
import type { FhirMapContext } from './context.ts';
import { flag } from './flags.ts';
import { isObject, objectAt, stringAt } from './json.ts';

export { UNKNOWN_AUTHORITY_SYSTEM };

/**
 * The system under which a source's own FHIR patient ids (`Patient/123`) are kept. Every Patient with an id carries
 * it, so a later resource that names the patient only by that id finds the same record.
 */
export function sourcePatientIdSystem(sourceId: string): string {
  return `urn:vigil:source:${sourceId}:fhir-patient-id`;
}

export function sourcePatientId(sourceId: string, id: string): Identifier {
  return { system: sourcePatientIdSystem(sourceId), value: id };
}

/**
 * A FHIR Identifier. The system is a URI already and is kept as sent. Without one, the profile's default authority is
 * assumed (`identifier-authority-defaulted`) or the identifier is kept under the unknown system, which the identity
 * index never matches on (`identifier-authority-missing`). Type is `type.coding[0].code` (MR, SS, …); the assigner's
 * display, when sent, is kept as the authority for the operator. Undefined when there is no value.
 */
export function identifierOf(value: unknown, ctx: FhirMapContext, at: string, flags: QualityFlag[]): Identifier | undefined {
  if (!isObject(value)) return undefined;
  const v = stringAt(value, 'value');
  if (v === undefined) return undefined;
  const type = firstCode(value['type']);
  const base = { value: v, ...(type ? { type } : {}) };
  const system = stringAt(value, 'system');
  if (system) {
    const assigner = stringAt(objectAt(value, 'assigner'), 'display');
    return { system, ...(assigner ? { authority: assigner } : {}), ...base };
  }
  const fallback = ctx.profile.identifiers.defaultAuthority;
  if (fallback) {
    flag(flags, 'identifier-authority-defaulted', at);
    return { system: identifierSystem(ctx.profile, fallback), authority: fallback, ...base };
  }
  flag(flags, 'identifier-authority-missing', at);
  return { system: UNKNOWN_AUTHORITY_SYSTEM, ...base };
}

export function sameIdentifier(a: Identifier, b: Identifier): boolean {
  return a.system === b.system && a.value === b.value;
}

/** An identifier anyone could match on: under a known system, not the unknown-authority bucket. */
export function isMatchable(i: Identifier): boolean {
  return i.system !== UNKNOWN_AUTHORITY_SYSTEM;
}
