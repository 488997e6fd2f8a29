import type { QualityFlag, QualityFlagCode } from '../../../model/quality.ts';
import type { Hl7Message, Hl7Segment } from '../message.ts';
import type { Hl7MappingLocation } from './errors.ts';

/** A segment with the names the normalized model and error locations use for it. */
export interface Located {
  seg: Hl7Segment;
  id: string;
  /** 1-based among segments with the same id in the whole message. */
  occurrence: number;
  /** `PID`, `OBX[5]`: a valid Hl7Message.get() prefix, so `${position}-7` reads the field back. */
  position: string;
}

export function locateAll(message: Hl7Message): Located[] {
  const seen = new Map<string, number>();
  return message.segments().map((seg) => {
    const id = seg.id;
    const occurrence = (seen.get(id) ?? 0) + 1;
    seen.set(id, occurrence);
    return { seg, id, occurrence, position: occurrence === 1 ? id : `${id}[${occurrence}]` };
  });
}

/**
 * Decoded leaf, '' when absent. HL7's explicit null `""` ("delete the stored value") reads as empty: the normalized
 * model has no way to say "erase", and keeping the two quote characters as data would be wrong.
 */
export function raw(seg: Hl7Segment, field: number, rep = 1, comp = 1, sub = 1): string {
  const v = seg.get(field, rep, comp, sub) ?? '';
  return v === '""' ? '' : v;
}

export function text(seg: Hl7Segment, field: number, rep = 1, comp = 1, sub = 1): string {
  return raw(seg, field, rep, comp, sub).trim();
}

/** Components of one repetition (first subcomponent of each), trimmed; index 0 is component 1. */
export function components(seg: Hl7Segment, field: number, rep = 1): string[] {
  const r = seg.tree(field)[rep - 1] ?? [];
  return r.map((c) => {
    const v = (c[0] ?? '').trim();
    return v === '""' ? '' : v;
  });
}

export function repetitionCount(seg: Hl7Segment, field: number): number {
  return seg.tree(field).length;
}

/** `PID-7`, `OBX[2]-11`, `PID-3[2]`: where a flag applies, never what was there. */
export function at(loc: Located, field: number, rep?: number): string {
  return `${loc.position}-${field}${rep !== undefined && rep > 1 ? `[${rep}]` : ''}`;
}

export function where(loc: Pick<Located, 'id' | 'occurrence'>, field?: number, component?: number): Hl7MappingLocation {
  return {
    segment: loc.id,
    ...(loc.occurrence > 1 ? { occurrence: loc.occurrence } : {}),
    ...(field !== undefined ? { field } : {}),
    ...(component !== undefined ? { component } : {}),
  };
}

export function flag(flags: QualityFlag[], code: QualityFlagCode, atPosition: string): void {
  flags.push({ code, at: atPosition });
}

/** A PID and the segments that follow it up to the next PID: one patient's part of the message. */
export interface PatientSegments {
  pid: Located;
  members: Located[];
}

export function patientGroups(all: readonly Located[]): PatientSegments[] {
  const groups: PatientSegments[] = [];
  for (const loc of all) {
    if (loc.id === 'PID') groups.push({ pid: loc, members: [] });
    else groups.at(-1)?.members.push(loc);
  }
  return groups;
}
