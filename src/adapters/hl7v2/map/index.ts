import type { NormalizedMessage } from '../../../model/clinical.ts';
import type { QualityFlag } from '../../../model/quality.ts';
import type { Hl7Message } from '../message.ts';
import { adtMapper } from './adt.ts';
import { withClinicalSegments } from './clinical-segments.ts';
import { documentMapper, withEmbeddedDocuments } from './documents.ts';
import { problemMapper } from './problems.ts';
import type { EventInput, EventOutput, MapContext } from './context.ts';
import { Hl7MappingError } from './errors.ts';
import { KeyRegistry } from './keys.ts';
import { mapAdministrations } from './administrations.ts';
import { mapPharmacyOrders } from './pharmacy-orders.ts';
import { linkMapper } from './links.ts';
import { mapMerges } from './merge.ts';
import { mapResults } from './results.ts';
import { locateAll } from './segments.ts';
import { hl7Time, profileZone } from './time.ts';

export type { MapContext } from './context.ts';
export { describeLocation, Hl7MappingError, SourceProfileError, type Hl7ErrorCode, type Hl7MappingErrorKind, type Hl7MappingLocation } from './errors.ts';

export type MapOutcome = { ok: true; normalized: NormalizedMessage } | { ok: false; error: Hl7MappingError };

const MAPPERS: Readonly<Record<string, (input: EventInput) => EventOutput>> = {
  'ADT^A01': adtMapper('ADT^A01', 'admit'),
  'ADT^A03': adtMapper('ADT^A03', 'discharge'),
  'ADT^A04': adtMapper('ADT^A04', 'admit'),
  'ADT^A08': adtMapper('ADT^A08', 'current'),
  'ADT^A11': adtMapper('ADT^A11', 'cancel'),
  'ADT^A28': adtMapper('ADT^A28', undefined),
  'ADT^A31': adtMapper('ADT^A31', undefined),
  'ADT^A24': linkMapper('ADT^A24'),
  'ADT^A37': linkMapper('ADT^A37'),
  'ADT^A40': mapMerges,
  'ADT^A60': adtMapper('ADT^A60', undefined),
  'ORU^R01': withEmbeddedDocuments(withClinicalSegments(mapResults)),
  'RDE^O11': mapPharmacyOrders,
  'RAS^O17': mapAdministrations,
  'PPR^PC1': problemMapper('PPR^PC1'),
  'PPR^PC2': problemMapper('PPR^PC2'),
  'PPR^PC3': problemMapper('PPR^PC3'),
  ...Object.fromEntries(['T01', 'T02', 'T03', 'T04', 'T05', 'T06', 'T07', 'T08', 'T09', 'T10', 'T11'].map((t) => [`MDM^${t}`, documentMapper(`MDM^${t}`)])),
};

/** `MSH-9.1^MSH-9.2` of every event this adapter maps. */
export const SUPPORTED_EVENTS: readonly string[] = Object.freeze(Object.keys(MAPPERS));

const SUPPORTED_TYPES = new Set(SUPPORTED_EVENTS.map((e) => e.split('^')[0]!));

function unsupported(type: string): Hl7MappingError {
  const list = SUPPORTED_EVENTS.join(', ');
  if (SUPPORTED_TYPES.has(type)) {
    return new Hl7MappingError('unsupported-event', 201, { segment: 'MSH', field: 9, component: 2 }, `MSH-9.2 names a trigger event Vigil does not map for this message type; supported events are ${list}. Stop sending this event to Vigil or ask for it to be supported.`);
  }
  return new Hl7MappingError('unsupported-event', 200, { segment: 'MSH', field: 9, component: 1 }, `MSH-9.1 names a message type Vigil does not map; supported events are ${list}. Stop sending this message type to Vigil or ask for it to be supported.`);
}

/**
 * Turns a parsed HL7 v2 message into the normalized model, or says why it cannot: a pure function of the message, the
 * source profile and the clock. A refusal carries the ACK code and HL7 error code to send back and names positions
 * only. Throws only SourceProfileError (the profile is unusable: keep the message, fix the profile, replay).
 */
export function mapHl7Message(message: Hl7Message, ctx: MapContext): MapOutcome {
  profileZone(ctx.profile);
  const type = message.header.messageType.trim().toUpperCase();
  const event = `${type}^${message.header.triggerEvent.trim().toUpperCase()}`;
  const mapper = MAPPERS[event];
  if (!mapper) return { ok: false, error: unsupported(type) };
  const flags: QualityFlag[] = [];
  try {
    const sourceTime = hl7Time(message.header.dateTime, ctx.profile, 'MSH-7', flags);
    const { groups, merges } = mapper({ segments: locateAll(message), ctx, keys: new KeyRegistry(), flags });
    return { ok: true, normalized: { ...(sourceTime ? { sourceTime } : {}), event, groups, merges, flags } };
  } catch (err) {
    if (err instanceof Hl7MappingError) return { ok: false, error: err };
    throw err;
  }
}
