import { EntryRefusal } from './errors.ts';
import { objectsAt, stringAt } from './json.ts';
import type { PayloadEntry } from './payload.ts';

/**
 * The stable key of a resource at its source: `Observation/<id>`, else its business identifier
 * (`Observation?identifier=<system>|<value>`, FHIR's own conditional-reference form). Never the version: the same
 * resource sent again with a new meta.versionId must land on the same key, so the gateway stores it as a new version.
 * A resource with neither cannot be recognised when it comes again and is refused.
 */
export function resourceKey(entry: PayloadEntry): string {
  if (entry.id) return `${entry.type}/${entry.id}`;
  const identifiers = objectsAt(entry.resource, 'identifier');
  const chosen = identifiers.find(([i]) => stringAt(i, 'use') === 'official' && stringAt(i, 'value')) ?? identifiers.find(([i]) => stringAt(i, 'value'));
  if (chosen) {
    const system = stringAt(chosen[0], 'system');
    const value = stringAt(chosen[0], 'value')!;
    return `${entry.type}?identifier=${system ? `${system}|` : ''}${value}`;
  }
  throw EntryRefusal.error('required', `${entry.base}.id`, `${entry.type} has neither an id nor an identifier with a value; Vigil needs one of them to recognise the next version of this resource.`);
}

/** The key a reference names without the target being in the payload: `MedicationRequest/12` or by identifier. */
export function referencedKey(type: string, id: string | undefined, identifier: { system?: string; value?: string } | undefined): string | undefined {
  if (id) return `${type}/${id}`;
  if (identifier?.value) return `${type}?identifier=${identifier.system ? `${identifier.system}|` : ''}${identifier.value}`;
  return undefined;
}
