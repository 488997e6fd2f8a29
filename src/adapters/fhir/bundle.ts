import { EntryRefusal, issue, type FhirIssue } from './errors.ts';
import { isObject, objectAt, stringAt, type JsonObject } from './json.ts';
import type { Payload, PayloadEntry, RefusedEntry } from './payload.ts';
import { isFhirId, isR4ResourceType } from './resource-types.ts';

/**
 * Bundle types Vigil maps. transaction and batch are what a client posts; collection is a file of resources; searchset
 * is what Vigil gets when it pulls from a FHIR server. Responses, history, document and message bundles are refused:
 * they are not submissions of data, or carry semantics (deletions, versions, a message header) the model cannot hold.
 */
const ACCEPTED_BUNDLE_TYPES = new Set(['transaction', 'batch', 'collection', 'searchset']);

/** A fullUrl must be absolute: an http(s) or other URL with an authority, a urn:uuid or a urn:oid (FHIR Bundle rules). */
const ABSOLUTE_URL =
  /^(?:urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|urn:oid:[0-2](?:\.(?:0|[1-9]\d*))+|[A-Za-z][A-Za-z0-9+.-]*:\/\/\S+)$/;

/** Requests that carry no data to keep: a deletion would retract facts, which the model expresses only as a status. */
const NO_DATA_METHODS: Record<string, string> = {
  DELETE: 'a DELETE entry asks to remove a resource; Vigil does not delete facts. Send the resource again with status entered-in-error.',
  GET: 'a GET entry asks to read; this endpoint only accepts data.',
  HEAD: 'a HEAD entry asks to read; this endpoint only accepts data.',
  PATCH: 'a PATCH entry changes part of a resource; Vigil needs the whole resource. Send it with PUT or POST.',
};

export type ReadResult = { ok: true; payload: Payload } | { ok: false; issues: FhirIssue[] };

/**
 * Checks the payload's structure and lists its resources. Every structural problem is collected (not just the first)
 * so the sender can fix them in one round; any of them refuses the whole payload.
 */
export function readPayload(json: unknown): ReadResult {
  if (!isObject(json)) return refuse(issue('structure', '$this', 'The payload is not a JSON object; send a FHIR R4 resource or Bundle.'));
  const type = json['resourceType'];
  if (typeof type !== 'string') return refuse(issue('required', 'resourceType', 'The payload has no resourceType; send a FHIR R4 resource or Bundle.'));
  if (!isR4ResourceType(type)) return refuse(issue('invalid', 'resourceType', 'resourceType is not a FHIR R4 resource type.'));
  if (type === 'Bundle') return readBundle(json);
  if (json['id'] !== undefined && !isFhirId(json['id'])) {
    return refuse(issue('value', `${type}.id`, 'id is not a valid FHIR id (1-64 letters, digits, "-" or ".").'));
  }
  const entry: PayloadEntry = { index: 0, base: type, type, resource: json, ...(isFhirId(json['id']) ? { id: json['id'] } : {}) };
  const lastUpdated = objectAt(json, 'meta')?.['lastUpdated'];
  return {
    ok: true,
    payload: {
      event: `FHIR:${type}`,
      allOrNothing: true,
      entries: [entry],
      refused: [],
      ...(lastUpdated !== undefined ? { time: { value: lastUpdated, at: `${type}.meta.lastUpdated` } } : {}),
    },
  };
}

function refuse(...issues: FhirIssue[]): ReadResult {
  return { ok: false, issues };
}

function readBundle(bundle: JsonObject): ReadResult {
  const issues: FhirIssue[] = [];
  const bundleType = stringAt(bundle, 'type');
  if (bundleType === undefined) issues.push(issue('required', 'Bundle.type', 'Bundle.type is missing; Vigil maps transaction, batch, collection and searchset bundles.'));
  else if (!ACCEPTED_BUNDLE_TYPES.has(bundleType)) {
    issues.push(issue('not-supported', 'Bundle.type', 'Bundle.type is not one Vigil maps; send a transaction, batch, collection or searchset bundle.'));
  }
  const rawEntries = bundle['entry'] ?? [];
  if (!Array.isArray(rawEntries)) {
    issues.push(issue('structure', 'Bundle.entry', 'Bundle.entry is not an array.'));
    return refuse(...issues);
  }
  const entries: PayloadEntry[] = [];
  const refused: RefusedEntry[] = [];
  const fullUrls = new Map<string, number>();
  const typeIds = new Map<string, number>();
  rawEntries.forEach((raw: unknown, index) => {
    const at = `Bundle.entry[${index}]`;
    if (!isObject(raw)) {
      issues.push(issue('structure', at, `entry[${index}] is not an object.`));
      return;
    }
    const fullUrl = checkFullUrl(raw, index, fullUrls, issues);
    const request = objectAt(raw, 'request');
    const method = stringAt(request, 'method')?.toUpperCase();
    const resource = raw['resource'];
    if (resource === undefined) {
      if (method && NO_DATA_METHODS[method]) refused.push(requestOnly(index, method, stringAt(request, 'url')));
      else issues.push(issue('required', `${at}.resource`, `entry[${index}] has no resource; every entry must carry the resource it sends.`));
      return;
    }
    if (!isObject(resource)) {
      issues.push(issue('structure', `${at}.resource`, `entry[${index}].resource is not an object.`));
      return;
    }
    const type = resource['resourceType'];
    if (typeof type !== 'string') {
      issues.push(issue('required', `${at}.resource.resourceType`, `entry[${index}].resource has no resourceType.`));
      return;
    }
    if (!isR4ResourceType(type)) {
      issues.push(issue('invalid', `${at}.resource.resourceType`, `entry[${index}].resource.resourceType is not a FHIR R4 resource type.`));
      return;
    }
    if (resource['id'] !== undefined && !isFhirId(resource['id'])) {
      issues.push(issue('value', `${at}.resource.id`, `entry[${index}].resource.id is not a valid FHIR id (1-64 letters, digits, "-" or ".").`));
      return;
    }
    const id = isFhirId(resource['id']) ? resource['id'] : method === 'PUT' ? idFromUrl(stringAt(request, 'url'), type) : undefined;
    if (id !== undefined) {
      const first = typeIds.get(`${type}/${id}`);
      if (first !== undefined) {
        issues.push(issue('invalid', `${at}.resource.id`, `entry[${index}] carries the same resource (type and id) as entry[${first}]; send each resource once.`));
        return;
      }
      typeIds.set(`${type}/${id}`, index);
    }
    if (method === 'PATCH') {
      refused.push({ index, type, refusal: EntryRefusal.error('not-supported', `${at}.request.method`, NO_DATA_METHODS['PATCH']!) });
      return;
    }
    entries.push({ index, base: `${at}.resource`, type, resource, ...(id !== undefined ? { id } : {}), ...(fullUrl ? { fullUrl } : {}) });
  });
  if (issues.length > 0) return refuse(...issues);
  const timestamp = bundle['timestamp'];
  const lastUpdated = objectAt(bundle, 'meta')?.['lastUpdated'];
  const time =
    timestamp !== undefined ? { value: timestamp, at: 'Bundle.timestamp' } : lastUpdated !== undefined ? { value: lastUpdated, at: 'Bundle.meta.lastUpdated' } : undefined;
  return {
    ok: true,
    payload: { event: `FHIR:Bundle-${bundleType}`, allOrNothing: bundleType === 'transaction', entries, refused, ...(time ? { time } : {}) },
  };
}

/** bdl-7: fullUrls are unique in a bundle; and they must be absolute, or references to them cannot be resolved. */
function checkFullUrl(raw: JsonObject, index: number, seen: Map<string, number>, issues: FhirIssue[]): string | undefined {
  const value = raw['fullUrl'];
  if (value === undefined) return undefined;
  const at = `Bundle.entry[${index}].fullUrl`;
  if (typeof value !== 'string' || !ABSOLUTE_URL.test(value)) {
    issues.push(issue('invalid', at, `entry[${index}].fullUrl must be an absolute URL, a urn:uuid or a urn:oid.`));
    return undefined;
  }
  const first = seen.get(value);
  if (first !== undefined) {
    issues.push(issue('invalid', at, `entry[${index}].fullUrl is the same as entry[${first}].fullUrl; each entry must have its own fullUrl.`));
    return undefined;
  }
  seen.set(value, index);
  return value;
}

function idFromUrl(url: string | undefined, type: string): string | undefined {
  const m = url === undefined ? null : /^([A-Za-z]+)\/([^/?#]+)$/.exec(url);
  return m && m[1] === type && isFhirId(m[2]) ? m[2] : undefined;
}

function requestOnly(index: number, method: string, url: string | undefined): RefusedEntry {
  const named = url?.split(/[/?]/)[0];
  return {
    index,
    type: isR4ResourceType(named) ? named : 'Resource',
    refusal: EntryRefusal.error('not-supported', `Bundle.entry[${index}].request.method`, NO_DATA_METHODS[method]!),
  };
}
