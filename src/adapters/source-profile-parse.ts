import { IANAZone } from 'luxon';
import { VigilError } from '../errors.ts';
import { DEFAULT_PROFILE, type ApplicationAckDestination, type CodeMapEntry, type FeedCadence, type SourceProfile } from './source-profile.ts';

/** A profile file that cannot be used; the message names the field, never a value from elsewhere. */
export class InvalidProfileError extends VigilError {
  constructor(field: string, why: string) {
    super('invalid-source-profile', 400, `Source profile field "${field}" ${why}.`);
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
const KNOWN = new Set(['timeZone', 'identifiers', 'codeSystems', 'codeMaps', 'medications', 'unknownPatient', 'parkMinutes', 'cadence', 'facilityId', 'requireSegmentTerminator', 'applicationAcks', 'documentConfidentiality']);

function stringMap(v: unknown, field: string): Record<string, string> {
  if (v === undefined) return {};
  if (!isObj(v)) throw new InvalidProfileError(field, 'must be an object of strings');
  for (const [k, s] of Object.entries(v)) if (typeof s !== 'string' || s === '') throw new InvalidProfileError(`${field}.${k}`, 'must be a non-empty string');
  return v as Record<string, string>;
}

function codeMaps(v: unknown): CodeMapEntry[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new InvalidProfileError('codeMaps', 'must be a list');
  return v.map((entry, i) => {
    const at = `codeMaps[${i}]`;
    if (!isObj(entry) || !isObj(entry['from']) || !isObj(entry['to'])) throw new InvalidProfileError(at, 'needs "from" and "to" objects');
    const from = entry['from'];
    const to = entry['to'];
    for (const [name, side] of [['from', from], ['to', to]] as const) {
      if (typeof side['system'] !== 'string' || typeof side['code'] !== 'string' || side['system'] === '' || side['code'] === '') throw new InvalidProfileError(`${at}.${name}`, 'needs a "system" and a "code"');
    }
    return {
      from: { system: from['system'] as string, code: from['code'] as string },
      to: { system: to['system'] as string, code: to['code'] as string, ...(typeof to['display'] === 'string' ? { display: to['display'] } : {}) },
    };
  });
}

// A host name or an IPv4/IPv6 address; no scheme, path or port.
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[?[0-9A-Fa-f:.]+\]?)$/;

function applicationAcks(v: unknown): ApplicationAckDestination | undefined {
  if (v === undefined) return undefined;
  if (!isObj(v)) throw new InvalidProfileError('applicationAcks', 'must be an object { host, port }');
  for (const key of Object.keys(v)) if (key !== 'host' && key !== 'port') throw new InvalidProfileError(`applicationAcks.${key}`, 'is not a field (host, port)');
  const { host, port } = v;
  if (typeof host !== 'string' || host.length > 253 || !HOST.test(host)) throw new InvalidProfileError('applicationAcks.host', 'must be a host name or an IP address');
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65_535) throw new InvalidProfileError('applicationAcks.port', 'must be a TCP port from 1 to 65535');
  return { host: host.replace(/^\[|\]$/g, ''), port };
}

function cadence(v: unknown): FeedCadence | undefined {
  if (v === undefined) return undefined;
  if (!isObj(v)) throw new InvalidProfileError('cadence', 'must be an object');
  const every = v['everyMinutes'];
  if (typeof every !== 'number' || !Number.isInteger(every) || every < 1 || every > 10_080) throw new InvalidProfileError('cadence.everyMinutes', 'must be a whole number of minutes from 1 to 10080');
  const out: FeedCadence = { everyMinutes: every };
  for (const key of ['activeFrom', 'activeTo'] as const) {
    const t = v[key];
    if (t === undefined) continue;
    if (typeof t !== 'string' || !HHMM.test(t)) throw new InvalidProfileError(`cadence.${key}`, 'must be a local time HH:MM');
    out[key] = t;
  }
  if ((out.activeFrom === undefined) !== (out.activeTo === undefined)) throw new InvalidProfileError('cadence', 'needs both activeFrom and activeTo, or neither');
  return out;
}

/** Validates a profile document and fills what it leaves out from the defaults. */
export function parseSourceProfile(input: unknown): SourceProfile {
  if (input === undefined || input === null) return structuredClone(DEFAULT_PROFILE) as SourceProfile;
  if (!isObj(input)) throw new InvalidProfileError('(root)', 'must be a JSON object');
  for (const key of Object.keys(input)) if (!KNOWN.has(key)) throw new InvalidProfileError(key, 'is not a profile field');
  const timeZone = input['timeZone'] ?? DEFAULT_PROFILE.timeZone;
  if (typeof timeZone !== 'string' || !IANAZone.isValidZone(timeZone)) throw new InvalidProfileError('timeZone', 'must be an IANA time zone such as "America/New_York"');
  const ids = input['identifiers'] ?? {};
  if (!isObj(ids)) throw new InvalidProfileError('identifiers', 'must be an object');
  const defaultAuthority = ids['defaultAuthority'];
  if (defaultAuthority !== undefined && (typeof defaultAuthority !== 'string' || defaultAuthority === '')) throw new InvalidProfileError('identifiers.defaultAuthority', 'must be a non-empty string');
  const types = ids['recordNumberTypes'] ?? DEFAULT_PROFILE.identifiers.recordNumberTypes;
  if (!Array.isArray(types) || types.some((t) => typeof t !== 'string')) throw new InvalidProfileError('identifiers.recordNumberTypes', 'must be a list of identifier type codes');
  const medications = input['medications'] ?? DEFAULT_PROFILE.medications;
  if (medications !== 'active-only' && medications !== 'full-history') throw new InvalidProfileError('medications', 'must be "active-only" or "full-history"');
  const unknownPatient = input['unknownPatient'] ?? DEFAULT_PROFILE.unknownPatient;
  if (unknownPatient !== 'park' && unknownPatient !== 'create') throw new InvalidProfileError('unknownPatient', 'must be "park" or "create"');
  const parkMinutes = input['parkMinutes'] ?? DEFAULT_PROFILE.parkMinutes;
  if (typeof parkMinutes !== 'number' || !Number.isInteger(parkMinutes) || parkMinutes < 1 || parkMinutes > 43_200) throw new InvalidProfileError('parkMinutes', 'must be a whole number of minutes from 1 to 43200');
  const facilityId = input['facilityId'];
  if (facilityId !== undefined && (typeof facilityId !== 'string' || !/^[0-9a-f-]{36}$/i.test(facilityId))) throw new InvalidProfileError('facilityId', 'must be a facility id (uuid) from the directory');
  const watched = cadence(input['cadence']);
  const strict = input['requireSegmentTerminator'];
  if (strict !== undefined && typeof strict !== 'boolean') throw new InvalidProfileError('requireSegmentTerminator', 'must be true or false');
  const acks = applicationAcks(input['applicationAcks']);
  const confidentiality = input['documentConfidentiality'] === undefined ? undefined : labelMap(input['documentConfidentiality']);
  return {
    timeZone,
    identifiers: {
      systems: stringMap(ids['systems'], 'identifiers.systems'),
      ...(defaultAuthority !== undefined ? { defaultAuthority: defaultAuthority as string } : {}),
      recordNumberTypes: types as string[],
    },
    codeSystems: { ...DEFAULT_PROFILE.codeSystems, ...stringMap(input['codeSystems'], 'codeSystems') },
    codeMaps: codeMaps(input['codeMaps']),
    medications,
    unknownPatient,
    parkMinutes,
    ...(watched ? { cadence: watched } : {}),
    ...(facilityId !== undefined ? { facilityId: facilityId as string } : {}),
    ...(strict === true ? { requireSegmentTerminator: true } : {}),
    ...(acks ? { applicationAcks: acks } : {}),
    ...(confidentiality ? { documentConfidentiality: confidentiality } : {}),
  };
}

/** Confidentiality codes → security labels: codes and labels are short codes, a label may be '' (none). */
function labelMap(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidProfileError('documentConfidentiality', 'must be an object of confidentiality code → security label');
  const out: Record<string, string> = {};
  for (const [code, label] of Object.entries(value)) {
    if (typeof label !== 'string' || !/^[A-Za-z0-9-]{1,20}$/.test(code) || !/^[A-Za-z0-9-]{0,20}$/.test(label)) {
      throw new InvalidProfileError('documentConfidentiality', 'maps each confidentiality code the source sends to a security label (letters, digits and dashes), or to "" for none');
    }
    out[code.toUpperCase()] = label.toUpperCase();
  }
  return out;
}
