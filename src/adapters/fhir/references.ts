import type { PayloadEntry } from './payload.ts';
import { isFhirId, isR4ResourceType } from './resource-types.ts';

const HISTORY = /\/_history\/[^/]+$/;
const TYPE_AND_ID = /(?:^|\/)([A-Z][A-Za-z]+)\/([^/]+)$/;

/** `Patient/123`, `https://x/fhir/Patient/123/_history/2` → Patient and 123; anything else (urn:uuid, `#x`) → undefined. */
export function literalTarget(reference: string): { type: string; id: string } | undefined {
  const m = TYPE_AND_ID.exec(reference.replace(HISTORY, ''));
  if (!m || !isR4ResourceType(m[1]) || !isFhirId(m[2])) return undefined;
  return { type: m[1], id: m[2] };
}

/**
 * Finds the resource a Reference.reference points at inside the payload, the way FHIR resolves references in a
 * bundle: the fullUrl itself; a relative reference against the RESTful base of the referring entry's fullUrl; and, for
 * bundles that leave fullUrl out or use urn:uuid, a resource of that type and id anywhere in the payload. Version
 * suffixes are ignored: a reference to an older version still names the same resource.
 */
export class ReferenceIndex {
  private readonly byFullUrl = new Map<string, PayloadEntry>();
  private readonly byTypeId = new Map<string, PayloadEntry>();

  constructor(readonly entries: readonly PayloadEntry[]) {
    for (const e of entries) {
      if (e.fullUrl) this.byFullUrl.set(e.fullUrl, e);
      if (e.id) this.byTypeId.set(`${e.type}/${e.id}`, e);
    }
  }

  resolve(reference: string, from: PayloadEntry): PayloadEntry | undefined {
    const ref = reference.trim().replace(HISTORY, '');
    const exact = this.byFullUrl.get(ref);
    if (exact) return exact;
    const target = literalTarget(ref);
    if (!target) return undefined;
    const own = from.fullUrl?.replace(HISTORY, '');
    const suffix = `/${from.type}/${from.id}`;
    if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(ref) && own && from.id && own.endsWith(suffix)) {
      const relative = this.byFullUrl.get(`${own.slice(0, -suffix.length)}/${ref}`);
      if (relative) return relative;
    }
    return this.byTypeId.get(`${target.type}/${target.id}`);
  }
}
