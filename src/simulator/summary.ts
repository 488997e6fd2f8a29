import { parseHl7Message } from '../adapters/hl7v2/index.ts';
import type { MessageKind, SimulatedMessage } from './plan.ts';
import { HOSPITAL_AUTHORITY } from './sources.ts';

/**
 * What a plan holds, in counts only (safe to print): messages by kind, source and expected ACK, and how many distinct
 * people Vigil should end up with, read back from the messages themselves: every hospital MRN named in a PID, less
 * those an A40 retires.
 */
export interface PlanSummary {
  messages: number;
  byKind: Partial<Record<MessageKind, number>>;
  bySource: Record<string, number>;
  byExpectedAck: Record<string, number>;
  persons: number;
}

const bump = <K extends string>(into: Partial<Record<K, number>>, key: K) => {
  into[key] = (into[key] ?? 0) + 1;
};

export function hospitalMrns(text: string): { named: string[]; retired: string[] } {
  const message = parseHl7Message(text, { requireTerminator: true });
  const pick = (segment: 'PID' | 'MRG', field: number) =>
    message.segments(segment).flatMap((seg) => seg.tree(field).filter((rep) => rep[3]?.[0] === HOSPITAL_AUTHORITY && rep[4]?.[0] === 'MR').map((rep) => rep[0]?.[0] ?? ''));
  return { named: pick('PID', 3), retired: pick('MRG', 1) };
}

export function summarizePlan(plan: readonly SimulatedMessage[]): PlanSummary {
  const summary: PlanSummary = { messages: plan.length, byKind: {}, bySource: {}, byExpectedAck: {}, persons: 0 };
  const named = new Set<string>();
  const retired = new Set<string>();
  for (const m of plan) {
    bump(summary.byKind, m.kind);
    bump(summary.bySource, m.source);
    bump(summary.byExpectedAck, m.expectedAck);
    if (m.kind === 'malformed') continue;
    const mrns = hospitalMrns(m.text);
    mrns.named.forEach((v) => named.add(v));
    mrns.retired.forEach((v) => retired.add(v));
  }
  summary.persons = [...named, ...retired].filter((v, i, all) => all.indexOf(v) === i && !retired.has(v)).length;
  return summary;
}
