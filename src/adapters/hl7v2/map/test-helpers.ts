import assert from 'node:assert/strict';
import type { FactInput, NormalizedMessage, ObservationBody, MedicationBody } from '../../../model/clinical.ts';
import { DEFAULT_PROFILE, type SourceProfile } from '../../source-profile.ts';
import { parseHl7Message } from '../parse.ts';
import type { Hl7Message } from '../message.ts';
import { mapHl7Message, type Hl7MappingError, type MapContext } from './index.ts';

/** Test-only helpers: build messages from segment lines and map them with a known profile and clock. */

export const NOW = new Date('2025-06-15T12:00:00Z');

export function context(profile: Partial<SourceProfile> = {}): MapContext {
  return { profile: { ...DEFAULT_PROFILE, timeZone: 'America/New_York', ...profile }, sourceId: 'lab1', now: NOW };
}

export function msh(event: string, time = '20240102083000'): string {
  return `MSH|^~\\&|LAB|HOSP|VIGIL|VIGIL|${time}||${event}|CTRL1|P|2.5.1`;
}

export const PID = 'PID|1||12345^^^HOSP^MR||Doe^Jane||19800101|F';

export function hl7(...segments: string[]): Hl7Message {
  return parseHl7Message(segments.join('\r') + '\r');
}

export function mapOk(message: Hl7Message, ctx: MapContext = context()): NormalizedMessage {
  const out = mapHl7Message(message, ctx);
  if (!out.ok) assert.fail(`expected the message to map, got ${out.error.code} (${out.error.reason})`);
  return out.normalized;
}

export function mapError(message: Hl7Message, ctx: MapContext = context()): Hl7MappingError {
  const out = mapHl7Message(message, ctx);
  if (out.ok) assert.fail('expected the message to be refused');
  return out.error;
}

export function facts(n: NormalizedMessage, kind?: FactInput['kind']): FactInput[] {
  return n.groups.flatMap((g) => g.facts).filter((f) => kind === undefined || f.kind === kind);
}

export const observationBody = (f: FactInput | undefined) => f?.body as ObservationBody;
export const medicationBody = (f: FactInput | undefined) => f?.body as MedicationBody;

export function flagCodes(flags: readonly { code: string; at?: string }[]): string[] {
  return flags.map((f) => `${f.code}@${f.at}`);
}

/** A segment line from field numbers, so a test names PID-30 instead of counting pipes. */
export function seg(id: string, fields: Record<number, string>): string {
  const last = Math.max(0, ...Object.keys(fields).map(Number));
  const values = Array.from({ length: last }, (_, i) => fields[i + 1] ?? '');
  return [id, ...values].join('|');
}
