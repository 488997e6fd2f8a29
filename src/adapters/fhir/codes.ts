import type { Coding, Concept } from '../../model/clinical.ts';
import type { QualityFlag } from '../../model/quality.ts';
import { isLocal } from '../hl7v2/map/codes.ts';
import { codeSystemUri } from '../source-profile.ts';
import type { FhirMapContext } from './context.ts';
import { flag } from './flags.ts';
import { isObject, objectsAt, stringAt } from './json.ts';

/**
 * A Coding's system as a URI. FHIR systems are URIs already and are kept; a sender that writes a v2-style name
 * (`LN`) instead gets the profile's reading of it, and a coding without a system lands in the source's local system.
 */
function systemOf(system: string | undefined, ctx: FhirMapContext): string {
  if (system === undefined) return codeSystemUri(ctx.profile, undefined, ctx.sourceId);
  return system.includes(':') ? system : codeSystemUri(ctx.profile, system, ctx.sourceId);
}

/**
 * A CodeableConcept as a Concept, by the HL7 mapper's rules: codings kept as sent; a profile code map adds its
 * standard coding beside the source's (`code-mapped-by-profile`); `code-unmapped` only when every coding is
 * source-local and no map applied. Text alone makes a concept without codings.
 */
export function conceptOf(value: unknown, ctx: FhirMapContext, at: string, flags: QualityFlag[]): Concept | undefined {
  if (!isObject(value)) return undefined;
  const codings: Coding[] = [];
  const sent: (string | undefined)[] = [];
  for (const [c] of objectsAt(value, 'coding')) {
    const code = stringAt(c, 'code');
    if (code === undefined) continue;
    const display = stringAt(c, 'display');
    const system = stringAt(c, 'system');
    codings.push({ system: systemOf(system, ctx), code, ...(display ? { display } : {}) });
    sent.push(system);
  }
  const text = stringAt(value, 'text');
  if (codings.length === 0) return text ? { codings: [], text } : undefined;

  let mapped = false;
  codings.slice().forEach((source, i) => {
    const entry = ctx.profile.codeMaps.find((e) => e.from.code === source.code && (e.from.system === source.system || e.from.system === sent[i]));
    if (!entry) return;
    mapped = true;
    if (!codings.some((x) => x.system === entry.to.system && x.code === entry.to.code)) {
      codings.push({ system: entry.to.system, code: entry.to.code, ...(entry.to.display ? { display: entry.to.display } : {}) });
    }
  });
  if (mapped) flag(flags, 'code-mapped-by-profile', at);
  else if (codings.every((x) => isLocal(x.system))) flag(flags, 'code-unmapped', at);
  return { codings, ...(text ? { text } : {}) };
}

/** The first coding's code of a CodeableConcept (`MR`, `AMB`, `H`), or undefined. */
export function firstCode(value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  for (const [c] of objectsAt(value, 'coding')) {
    const code = stringAt(c, 'code');
    if (code) return code;
  }
  return undefined;
}

/** Every coding's code of a CodeableConcept, in order. */
export function allCodes(value: unknown): string[] {
  if (!isObject(value)) return [];
  return objectsAt(value, 'coding').map(([c]) => stringAt(c, 'code')).filter((c): c is string => c !== undefined);
}

/** What a person would read for a CodeableConcept: its text, else the first display, else the first code. */
export function conceptText(value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  const text = stringAt(value, 'text');
  if (text) return text;
  for (const [c] of objectsAt(value, 'coding')) {
    const shown = stringAt(c, 'display') ?? stringAt(c, 'code');
    if (shown) return shown;
  }
  return undefined;
}
