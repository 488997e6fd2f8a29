/**
 * An audit record as a FHIR R4 AuditEvent, using the IHE Basic Audit Log Patterns (BALP) vocabulary where it fits and
 * Vigil's own code systems (urn:vigil:…) where it does not. Pure and deterministic: the export writes it beside the
 * record and the verifier recomputes it, so the AuditEvent a reader sees is provably the one that was sealed. The
 * search API and the FHIR endpoint reuse it, so a privacy officer sees the same shape everywhere.
 */
import { canonicalJson, recordFromRow, type AuditEventRow, type AuditRecord, type JsonValue } from './canonical.ts';

export const AUDIT_EVENT_TYPE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/audit-event-type';
export const VIGIL_ACTION_SYSTEM = 'urn:vigil:audit-action';
export const VIGIL_ROLE_SYSTEM = 'urn:vigil:role';
export const PURPOSE_OF_USE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';
export const ENTITY_TYPE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
export const OBJECT_ROLE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/object-role';
export const SECURITY_SOURCE_TYPE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/security-source-type';
export const EXTRA_SECURITY_ROLE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/extra-security-role-type';
export const DICOM_SYSTEM = 'http://dicom.nema.org/resources/ontology/DCM';

export const EXT = {
  breakGlass: 'urn:vigil:audit-event/break-glass',
  requestId: 'urn:vigil:audit-event/request-id',
  sourceSystem: 'urn:vigil:audit-event/source-system',
  details: 'urn:vigil:audit-event/details',
  reasonCode: 'urn:vigil:audit-event/reason-code',
  onBehalfOf: 'urn:vigil:audit-event/on-behalf-of',
  organization: 'urn:vigil:audit-event/organization',
  userAgent: 'urn:vigil:audit-event/user-agent',
  sessionId: 'urn:vigil:audit-event/session-id',
} as const;

// FHIR R4 AuditEvent.outcome: 0 success, 4 minor failure (the request was refused), 8 serious failure (it broke).
const OUTCOME: Record<AuditRecord['outcome'], '0' | '4' | '8'> = { success: '0', denied: '4', error: '8' };
const OUTCOME_TEXT: Record<AuditRecord['outcome'], string> = { success: 'success', denied: 'denied', error: 'error' };

export type FhirAuditEvent = { resourceType: 'AuditEvent' } & { [key: string]: JsonValue };

/**
 * The AuditEvent for a record (from an export) or a row (from audit.events). Every object is built with its keys in
 * sorted order, so its canonical JSON is plain JSON.stringify (the offline verifier maps every event it checks).
 */
export function toFhirAuditEvent(input: AuditRecord | AuditEventRow): FhirAuditEvent {
  const r: AuditRecord = 'v' in input ? input : recordFromRow(input);
  const extension: JsonValue[] = [{ url: EXT.breakGlass, valueBoolean: r.break_glass }];
  if (r.request_id !== null) extension.push({ url: EXT.requestId, valueString: r.request_id });
  if (r.source_system !== null) extension.push({ url: EXT.sourceSystem, valueString: r.source_system });
  if (r.details !== null) extension.push({ url: EXT.details, valueString: canonicalJson(r.details) });
  // outcomeDesc is free text in R4; the machine-readable reason also goes in an extension so search can match it.
  if (r.reason_code !== null) extension.push({ url: EXT.reasonCode, valueCode: r.reason_code });

  const event: { [key: string]: JsonValue } = {};
  event.action = r.action_code;
  event.agent = [agentOf(r)];
  event.entity = entitiesOf(r);
  event.extension = extension;
  event.id = r.id;
  event.outcome = OUTCOME[r.outcome];
  event.outcomeDesc = r.reason_code === null ? OUTCOME_TEXT[r.outcome] : `${OUTCOME_TEXT[r.outcome]}: ${r.reason_code}`;
  if (r.purpose_of_use !== null) event.purposeOfEvent = [{ coding: [{ code: r.purpose_of_use, system: PURPOSE_OF_USE_SYSTEM }] }];
  event.recorded = r.recorded_at;
  event.resourceType = 'AuditEvent';
  event.source = {
    observer: { display: 'Vigil' },
    site: 'Vigil',
    type: [{ code: '4', display: 'Application Server', system: SECURITY_SOURCE_TYPE_SYSTEM }],
  };
  event.subtype = [{ code: r.action, system: VIGIL_ACTION_SYSTEM }];
  event.type = { code: 'rest', display: 'RESTful Operation', system: AUDIT_EVENT_TYPE_SYSTEM };
  return event as FhirAuditEvent;
}

function agentOf(r: AuditRecord): JsonValue {
  const agent: { [key: string]: JsonValue } = {};
  const extension: JsonValue[] = [];
  if (r.on_behalf_of !== null) extension.push({ url: EXT.onBehalfOf, valueReference: { reference: `Practitioner/${r.on_behalf_of}` } });
  if (r.organization_id !== null) extension.push({ url: EXT.organization, valueReference: { reference: `Organization/${r.organization_id}` } });
  if (r.user_agent !== null) extension.push({ url: EXT.userAgent, valueString: r.user_agent });
  if (r.session_id !== null) extension.push({ url: EXT.sessionId, valueString: r.session_id });
  if (extension.length > 0) agent.extension = extension;
  if (r.facility_id !== null) agent.location = { reference: `Location/${r.facility_id}` };
  if (r.actor_name !== null) agent.name = r.actor_name;
  if (r.client_ip !== null) agent.network = { address: r.client_ip, type: isIpAddress(r.client_ip) ? '2' : '1' };
  // BALP carries the session as a policy URI: the authorization (session) under which the agent acted.
  if (r.session_id !== null) agent.policy = [`urn:uuid:${r.session_id}`];
  if (r.purpose_of_use !== null) agent.purposeOfUse = [{ coding: [{ code: r.purpose_of_use, system: PURPOSE_OF_USE_SYSTEM }] }];
  agent.requestor = true;
  if (r.actor_roles.length > 0) agent.role = r.actor_roles.map((role) => ({ coding: [{ code: role, system: VIGIL_ROLE_SYSTEM }] }));
  if (r.actor_type === 'person') {
    agent.type = { coding: [{ code: 'humanuser', display: 'human user', system: EXTRA_SECURITY_ROLE_SYSTEM }] };
  } else if (r.actor_type === 'client' || r.actor_type === 'system') {
    agent.type = { coding: [{ code: '110150', display: 'Application', system: DICOM_SYSTEM }] };
  }

  let display: string | null = r.actor_name;
  let reference: string | null = null;
  if (r.actor_type === 'person' && r.actor_id !== null) reference = `Practitioner/${r.actor_id}`;
  else if ((r.actor_type === 'client' || r.actor_type === 'system') && r.actor_id !== null) reference = `Device/${r.actor_id}`;
  else if (display === null) display = r.actor_type === 'system' ? 'Vigil' : r.actor_type === 'anonymous' ? 'anonymous' : null;
  const who: { [key: string]: JsonValue } = {};
  if (display !== null) who.display = display;
  if (reference !== null) who.reference = reference;
  if (display !== null || reference !== null) agent.who = who;
  return agent;
}

const PATIENT_ENTITY_TYPE = { code: '1', display: 'Person', system: ENTITY_TYPE_SYSTEM };
const OBJECT_ENTITY_TYPE = { code: '2', display: 'System Object', system: ENTITY_TYPE_SYSTEM };

function entitiesOf(r: AuditRecord): JsonValue[] {
  const out: JsonValue[] = [];
  if (r.patient_id !== null) {
    out.push({
      role: { code: '1', display: 'Patient', system: OBJECT_ROLE_SYSTEM },
      type: { ...PATIENT_ENTITY_TYPE },
      what: { reference: `Patient/${r.patient_id}` },
    });
  }
  for (const id of r.resource_ids) {
    // The patient is already named above with the Patient role; naming it twice would count it twice in reports.
    if (r.resource_type === 'Patient' && id === r.patient_id) continue;
    out.push({
      role: { code: '4', display: 'Domain Resource', system: OBJECT_ROLE_SYSTEM },
      type: { ...OBJECT_ENTITY_TYPE },
      what: { reference: `${r.resource_type}/${id}` },
    });
  }
  if (r.query !== null) {
    out.push({
      name: r.resource_type,
      query: Buffer.from(canonicalJson(r.query), 'utf8').toString('base64'),
      role: { code: '24', display: 'Query', system: OBJECT_ROLE_SYSTEM },
      type: { ...OBJECT_ENTITY_TYPE },
    });
  }
  if (out.length === 0) out.push({ name: r.resource_type, type: { ...OBJECT_ENTITY_TYPE } });
  return out;
}

function isIpAddress(text: string): boolean {
  return /^[0-9.]+$/.test(text) || /^[0-9a-fA-F:.]+$/.test(text);
}

// The offline verifier checks the mapping of every event it reads, and building the objects and serialising them
// cost more than everything else it does per event. So it compares the text in place instead, piece by piece, with
// the keys of every object in the sorted order toFhirAuditEvent builds them in. A test compares the two over many
// random records: a change to the mapping that is not made here too fails it. Every piece is a constant made once
// (a piece built per call would be a new string to flatten on every comparison).
const q = JSON.stringify;
const CODING_TAIL = (system: string) => `","system":${q(system)}}]}`;
const P = {
  head: '{"action":"',
  agent: '","agent":[{',
  entity: '}],"entity":[',
  extensionBreakGlass: `],"extension":[{"url":${q(EXT.breakGlass)},"valueBoolean":`,
  requestId: `,{"url":${q(EXT.requestId)},"valueString":"`,
  sourceSystem: `,{"url":${q(EXT.sourceSystem)},"valueString":"`,
  details: `,{"url":${q(EXT.details)},"valueString":`,
  reasonCode: `,{"url":${q(EXT.reasonCode)},"valueCode":"`,
  id: '],"id":"',
  outcome: { success: `","outcome":"0","outcomeDesc":"success`, denied: `","outcome":"4","outcomeDesc":"denied`, error: `","outcome":"8","outcomeDesc":"error` },
  purposeOfEvent: '","purposeOfEvent":[{"coding":[{"code":"',
  purposeTail: `${CODING_TAIL(PURPOSE_OF_USE_SYSTEM)}]`,
  recordedAfterPurpose: ',"recorded":"',
  recorded: '","recorded":"',
  sourceSubtype: `","resourceType":"AuditEvent","source":{"observer":{"display":"Vigil"},"site":"Vigil","type":[{"code":"4","display":"Application Server","system":${q(SECURITY_SOURCE_TYPE_SYSTEM)}}]},"subtype":[{"code":"`,
  end: `","system":${q(VIGIL_ACTION_SYSTEM)}}],"type":{"code":"rest","display":"RESTful Operation","system":${q(AUDIT_EVENT_TYPE_SYSTEM)}}}`,
  onBehalfOf: `{"url":${q(EXT.onBehalfOf)},"valueReference":{"reference":"Practitioner/`,
  organization: `{"url":${q(EXT.organization)},"valueReference":{"reference":"Organization/`,
  userAgent: `{"url":${q(EXT.userAgent)},"valueString":"`,
  sessionId: `{"url":${q(EXT.sessionId)},"valueString":"`,
  location: '"location":{"reference":"Location/',
  name: '"name":"',
  network: '"network":{"address":"',
  ip: '","type":"2"},',
  notIp: '","type":"1"},',
  policy: '"policy":["urn:uuid:',
  purposeOfUse: '"purposeOfUse":[{"coding":[{"code":"',
  requestor: '"requestor":true',
  firstRole: ',"role":[{"coding":[{"code":"',
  nextRole: ',{"coding":[{"code":"',
  roleTail: CODING_TAIL(VIGIL_ROLE_SYSTEM),
  person: `,"type":{"coding":[{"code":"humanuser","display":"human user","system":${q(EXTRA_SECURITY_ROLE_SYSTEM)}}]}`,
  application: `,"type":{"coding":[{"code":"110150","display":"Application","system":${q(DICOM_SYSTEM)}}]}`,
  whoDisplay: ',"who":{"display":"',
  whoDisplayReference: '","reference":"',
  whoReference: ',"who":{"reference":"',
  patientEntity: `{"role":{"code":"1","display":"Patient","system":${q(OBJECT_ROLE_SYSTEM)}},"type":${q(PATIENT_ENTITY_TYPE)},"what":{"reference":"Patient/`,
  objectEntity: `{"role":{"code":"4","display":"Domain Resource","system":${q(OBJECT_ROLE_SYSTEM)}},"type":${q(OBJECT_ENTITY_TYPE)},"what":{"reference":"`,
  queryEntity: '{"name":"',
  query: '","query":"',
  queryTail: `","role":{"code":"24","display":"Query","system":${q(OBJECT_ROLE_SYSTEM)}},"type":${q(OBJECT_ENTITY_TYPE)}}`,
  emptyEntityTail: `","type":${q(OBJECT_ENTITY_TYPE)}}`,
} as const;

/**
 * Whether `text` holds, from `at`, exactly `canonicalJson(toFhirAuditEvent(r))`; returns where it ends, or -1.
 * Compares in place without building the text (the offline verifier's fast path). Every string in `r` must be one
 * that JSON.stringify writes between its quotes unchanged (no quote, backslash, control character or surrogate):
 * the verifier's fast path passes only such records, and anything else must be compared by serialising.
 */
export function matchFhirAuditEventJson(text: string, at: number, r: AuditRecord): number {
  matchText = text;
  matchAt = at;
  try {
    matchEvent(r);
    return matchAt;
  } finally {
    matchText = '';
  }
}

// The text being matched and the position reached, -1 once something differed. Module state rather than a closure
// per call: the per-event cost is what this is for.
let matchText = '';
let matchAt = -1;

// Advances past `piece` when the text has it at the position reached, or gives up (every later step then fails).
// A slice compared with === measured several times faster than startsWith at an offset.
function lit(piece: string): void {
  if (matchAt >= 0 && matchText.slice(matchAt, matchAt + piece.length) === piece) matchAt += piece.length;
  else matchAt = -1;
}

function matchEvent(r: AuditRecord): void {
  lit(P.head);
  lit(r.action_code);
  lit(P.agent);

  // The agent's keys: extension, location, name, network, policy, purposeOfUse, requestor, role, type, who.
  let ext = false;
  if (r.on_behalf_of !== null) {
    lit(ext ? ',' : '"extension":[');
    ext = true;
    lit(P.onBehalfOf);
    lit(r.on_behalf_of);
    lit('"}}');
  }
  if (r.organization_id !== null) {
    lit(ext ? ',' : '"extension":[');
    ext = true;
    lit(P.organization);
    lit(r.organization_id);
    lit('"}}');
  }
  if (r.user_agent !== null) {
    lit(ext ? ',' : '"extension":[');
    ext = true;
    lit(P.userAgent);
    lit(r.user_agent);
    lit('"}');
  }
  if (r.session_id !== null) {
    lit(ext ? ',' : '"extension":[');
    ext = true;
    lit(P.sessionId);
    lit(r.session_id);
    lit('"}');
  }
  if (ext) lit('],');
  if (r.facility_id !== null) {
    lit(P.location);
    lit(r.facility_id);
    lit('"},');
  }
  if (r.actor_name !== null) {
    lit(P.name);
    lit(r.actor_name);
    lit('",');
  }
  if (r.client_ip !== null) {
    lit(P.network);
    lit(r.client_ip);
    lit(isIpAddress(r.client_ip) ? P.ip : P.notIp);
  }
  if (r.session_id !== null) {
    lit(P.policy);
    lit(r.session_id);
    lit('"],');
  }
  if (r.purpose_of_use !== null) {
    lit(P.purposeOfUse);
    lit(r.purpose_of_use);
    lit(P.purposeTail);
    lit(',');
  }
  lit(P.requestor);
  const roles = r.actor_roles;
  for (let k = 0; k < roles.length; k++) {
    lit(k === 0 ? P.firstRole : P.nextRole);
    lit(roles[k]!);
    lit(P.roleTail);
  }
  if (roles.length > 0) lit(']');
  if (r.actor_type === 'person') lit(P.person);
  else if (r.actor_type === 'client' || r.actor_type === 'system') lit(P.application);
  let display: string | null = r.actor_name;
  let kind = '';
  if (r.actor_id !== null && r.actor_type === 'person') kind = 'Practitioner/';
  else if (r.actor_id !== null && (r.actor_type === 'client' || r.actor_type === 'system')) kind = 'Device/';
  else if (display === null) display = r.actor_type === 'system' ? 'Vigil' : r.actor_type === 'anonymous' ? 'anonymous' : null;
  if (display !== null) {
    lit(P.whoDisplay);
    lit(display);
    lit(kind === '' ? '"}' : P.whoDisplayReference);
  } else if (kind !== '') {
    lit(P.whoReference);
  }
  if (kind !== '') {
    lit(kind);
    lit(r.actor_id!);
    lit('"}');
  }

  lit(P.entity);
  let entity = false;
  if (r.patient_id !== null) {
    entity = true;
    lit(P.patientEntity);
    lit(r.patient_id);
    lit('"}}');
  }
  for (const id of r.resource_ids) {
    if (r.resource_type === 'Patient' && id === r.patient_id) continue;
    if (entity) lit(',');
    entity = true;
    lit(P.objectEntity);
    lit(r.resource_type);
    lit('/');
    lit(id);
    lit('"}}');
  }
  if (r.query !== null) {
    if (entity) lit(',');
    entity = true;
    lit(P.queryEntity);
    lit(r.resource_type);
    lit(P.query);
    lit(Buffer.from(canonicalJson(r.query), 'utf8').toString('base64'));
    lit(P.queryTail);
  }
  if (!entity) {
    lit(P.queryEntity);
    lit(r.resource_type);
    lit(P.emptyEntityTail);
  }

  lit(P.extensionBreakGlass);
  lit(r.break_glass ? 'true}' : 'false}');
  if (r.request_id !== null) {
    lit(P.requestId);
    lit(r.request_id);
    lit('"}');
  }
  if (r.source_system !== null) {
    lit(P.sourceSystem);
    lit(r.source_system);
    lit('"}');
  }
  if (r.details !== null) {
    lit(P.details);
    lit(q(canonicalJson(r.details)));
    lit('}');
  }
  if (r.reason_code !== null) {
    lit(P.reasonCode);
    lit(r.reason_code);
    lit('"}');
  }
  lit(P.id);
  lit(r.id);
  lit(P.outcome[r.outcome]);
  if (r.reason_code !== null) {
    lit(': ');
    lit(r.reason_code);
  }
  if (r.purpose_of_use !== null) {
    lit(P.purposeOfEvent);
    lit(r.purpose_of_use);
    lit(P.purposeTail);
    lit(P.recordedAfterPurpose);
  } else {
    lit(P.recorded);
  }
  lit(r.recorded_at);
  lit(P.sourceSubtype);
  lit(r.action);
  lit(P.end);
}
