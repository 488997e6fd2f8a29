import type { Coding, Concept } from '../../../model/clinical.ts';
import type { QualityFlag } from '../../../model/quality.ts';
import { codeSystemUri } from '../../source-profile.ts';
import type { MapContext } from './context.ts';
import { flag } from './segments.ts';

const HL7_TABLE = /^HL7(\d{4})$/i;

/**
 * The URI of a coding system as a v2 message names it. The profile decides first; HL7's own tables (`HL70078`) have
 * published URIs and are not local to the source; anything else is local (`urn:vigil:source:…`).
 */
export function systemUri(ctx: MapContext, name: string): string {
  const uri = codeSystemUri(ctx.profile, name, ctx.sourceId);
  const table = HL7_TABLE.exec(name);
  if (table && isLocal(uri)) return `http://terminology.hl7.org/CodeSystem/v2-${table[1]}`;
  return uri;
}

export function isLocal(system: string): boolean {
  return system.startsWith('urn:vigil:');
}

/**
 * A CE/CWE/CNE value (components: 1 code, 2 text, 3 system, 4–6 the alternate triplet, 9 original text) as a Concept.
 * The source's codings are kept as sent; a profile code map adds its standard coding beside them
 * (`code-mapped-by-profile`). `code-unmapped` is raised only when every coding is in a source-local system and no map
 * applied: a concept that already carries a LOINC or SNOMED coding is usable as it is.
 * `defaultSystem` names the HL7 table a field is bound to, for senders that leave component 3 empty.
 */
export function conceptOf(parts: readonly string[], ctx: MapContext, atPosition: string, flags: QualityFlag[], defaultSystem?: string): Concept | undefined {
  const c = (i: number) => parts[i - 1] ?? '';
  const codings: Coding[] = [];
  const sourceNames: string[] = [];
  for (const [code, display, system] of [[c(1), c(2), c(3)], [c(4), c(5), c(6)]] as const) {
    if (code === '') continue;
    const name = system || defaultSystem || '';
    codings.push({ system: name === '' ? codeSystemUri(ctx.profile, undefined, ctx.sourceId) : systemUri(ctx, name), code, ...(display ? { display } : {}) });
    sourceNames.push(name);
  }
  const text = c(9) || c(2) || c(5);
  if (codings.length === 0) return text ? { codings: [], text } : undefined;

  let mapped = false;
  for (let i = 0; i < sourceNames.length; i++) {
    const source = codings[i]!;
    // The map may name the source system by URI or by the name the source writes in the message; both are accepted.
    const entry = ctx.profile.codeMaps.find((e) => e.from.code === source.code && (e.from.system === source.system || e.from.system === sourceNames[i]));
    if (!entry) continue;
    mapped = true;
    if (!codings.some((x) => x.system === entry.to.system && x.code === entry.to.code)) {
      codings.push({ system: entry.to.system, code: entry.to.code, ...(entry.to.display ? { display: entry.to.display } : {}) });
    }
  }
  if (mapped) flag(flags, 'code-mapped-by-profile', atPosition);
  else if (codings.every((x) => isLocal(x.system))) flag(flags, 'code-unmapped', atPosition);
  return { codings, ...(text ? { text } : {}) };
}
