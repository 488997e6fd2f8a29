import { DateTime } from 'luxon';
import { securityLabelCoding } from '../../../controls/access/policy.ts';
import type { Concept, Coding as ModelCoding, Dosage as ModelDosage, Quantity as ModelQuantity } from '../../../model/clinical.ts';
import type { SourceTime } from '../../../model/time.ts';
import type { StoredFact } from '../stored-fact.ts';
import type { CodeableConcept, Coding, Dosage, Meta, Quantity, Reference } from './types.ts';

/** Building blocks shared by the mappers: codes, times, quantities, references and the meta of a versioned fact. */
export const VIGIL_SYSTEM = {
  derivation: 'urn:vigil:fhir:CodeSystem/derivation',
  confidence: 'urn:vigil:fhir:StructureDefinition/confidence',
  qualityFlag: 'urn:vigil:fhir:StructureDefinition/quality-flag',
  transform: 'urn:vigil:fhir:StructureDefinition/transform',
  gatewayMessage: 'urn:vigil:gateway-message',
} as const;

export function coding(c: ModelCoding): Coding {
  return { system: c.system, code: c.code, ...(c.display ? { display: c.display } : {}) };
}

/** A concept from codings and a text; every clinical resource needs its code, so an empty one says so in text. */
export function codeableConcept(codings: readonly ModelCoding[], text?: string | null): CodeableConcept {
  const out: CodeableConcept = {};
  if (codings.length > 0) out.coding = codings.map(coding);
  if (text) out.text = text;
  if (!out.coding && !out.text) out.text = 'not coded by the source';
  return out;
}

export function conceptOf(concept: Concept | undefined): CodeableConcept | undefined {
  return concept ? codeableConcept(concept.codings, concept.text) : undefined;
}

export function factCode(fact: Pick<StoredFact, 'codings' | 'codeDisplay'>): CodeableConcept {
  return codeableConcept(fact.codings, fact.codeDisplay);
}

export const instant = (d: Date | null | undefined): string | undefined => (d ? d.toISOString() : undefined);

function zoneOf(t: SourceTime): string {
  // Stated offsets are kept as `+0100`; luxon reads fixed offsets as `UTC+01:00`.
  const offset = /^([+-])(\d{2}):?(\d{2})$/.exec(t.zone);
  return offset ? `UTC${offset[1]}${offset[2]}:${offset[3]}` : t.zone;
}

/** A source time as a FHIR dateTime with the precision the source gave (a birth year stays a year). */
export function dateTimeOf(t: SourceTime | undefined): string | undefined {
  if (!t) return undefined;
  const local = DateTime.fromISO(t.instant, { zone: 'utc' }).setZone(zoneOf(t));
  if (!local.isValid) return t.instant;
  switch (t.precision) {
    case 'year':
      return local.toFormat('yyyy');
    case 'month':
      return local.toFormat('yyyy-MM');
    case 'day':
      return local.toFormat('yyyy-MM-dd');
    default:
      return t.instant;
  }
}

export function quantity(q: ModelQuantity | undefined, comparator?: Quantity['comparator']): Quantity | undefined {
  if (!q) return undefined;
  return { value: q.value, ...(comparator ? { comparator } : {}), ...(q.unit ? { unit: q.unit } : {}), ...(q.system ? { system: q.system } : {}), ...(q.code ? { code: q.code } : {}) };
}

export function dosage(d: ModelDosage | undefined): Dosage | undefined {
  if (!d) return undefined;
  const out: Dosage = {};
  if (d.text) out.text = d.text;
  if (d.frequency) out.timing = { code: { text: d.frequency } };
  const route = conceptOf(d.route);
  if (route) out.route = route;
  const dose = quantity(d.dose);
  if (dose) out.doseAndRate = [{ doseQuantity: dose }];
  return Object.keys(out).length > 0 ? out : undefined;
}

export const ref = (type: string, id: string): Reference => ({ reference: `${type}/${id}` });

/** The encounter a fact belongs to, under the element name its resource uses (`encounter` or `context`). */
export function encounterOf(fact: StoredFact, element: 'encounter' | 'context'): Record<string, Reference> {
  return fact.encounterId ? { [element]: ref('Encounter', fact.encounterId) } : {};
}

/**
 * Versioning and origin of a fact: versionId = number of versions; the source as meta.source; inferred as a tag; the
 * labels its source put on it as meta.security.
 */
export function factMeta(fact: StoredFact): Meta {
  const meta: Meta = { versionId: String(fact.versionId), lastUpdated: fact.lastUpdated.toISOString() };
  if (fact.sourceName) meta.source = `urn:vigil:source:${fact.sourceName}`;
  if (fact.derivation !== 'asserted') meta.tag = [{ system: VIGIL_SYSTEM.derivation, code: fact.derivation }];
  if (fact.securityLabels.length > 0) meta.security = fact.securityLabels.map(securityLabelCoding);
  return meta;
}

/** Keeps a status only when FHIR allows it for the resource; anything else is `fallback`. */
export function allowed<T extends string>(value: string, values: readonly T[], fallback: T): T {
  return (values as readonly string[]).includes(value) ? (value as T) : fallback;
}

/** Fact bodies are stored as the model types; this reads one typed, trusting the writer (it wrote that shape). */
export function bodyOf<T>(fact: { body: Record<string, unknown> }): T {
  return fact.body as T;
}
