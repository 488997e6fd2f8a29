import type { EncounterClass, EncounterInput, EncounterStatus } from '../../../model/clinical.ts';
import type { QualityFlag } from '../../../model/quality.ts';
import type { MapContext } from './context.ts';
import { at, flag, text, type Located } from './segments.ts';
import { hl7Time } from './time.ts';

/** PV1-2 patient class (HL7 table 0004); B (obstetrics), C (commercial account), N, U and local codes → other. */
const CLASS: Record<string, EncounterClass> = { I: 'inpatient', O: 'outpatient', E: 'emergency', P: 'preadmit', R: 'recurring' };

/**
 * What the event says about the visit: admit (A01/A04) starts it, discharge (A03) ends it, cancel (A11) withdraws it.
 * `current` is for messages that only report the visit (A08, results, orders): finished when PV1-45 says it ended.
 */
export type VisitEvent = 'admit' | 'discharge' | 'cancel' | 'current';

/**
 * The encounter a PV1 describes. Its key is the visit number (PV1-19); without one, patient class + admit time
 * (PV1-44) still name the visit stably across messages. A PV1 with neither cannot be told apart from the patient's
 * other visits, so no encounter is made and the message is flagged `segment-ignored`.
 */
export function mapEncounter(pv1: Located, event: VisitEvent, ctx: MapContext, messageFlags: QualityFlag[]): EncounterInput | undefined {
  const patientClass = text(pv1.seg, 2).toUpperCase();
  const admitted = text(pv1.seg, 44);
  const visitNumber = text(pv1.seg, 19);
  const sourceKey = visitNumber || (admitted ? `class:${patientClass}/admit:${admitted}` : '');
  if (!sourceKey) {
    flag(messageFlags, 'segment-ignored', pv1.position);
    return undefined;
  }
  const flags: QualityFlag[] = [];
  const start = hl7Time(admitted, ctx.profile, at(pv1, 44), flags);
  const endText = text(pv1.seg, 45);
  const status: EncounterStatus =
    event === 'admit' ? 'in-progress' : event === 'cancel' ? 'cancelled' : event === 'discharge' || endText !== '' ? 'finished' : 'in-progress';
  const end = status === 'finished' ? hl7Time(endText, ctx.profile, at(pv1, 45), flags) : undefined;
  const location = [1, 2, 3].map((c) => text(pv1.seg, 3, 1, c)).filter(Boolean).join(' / ');
  return {
    sourceKey,
    status,
    class: CLASS[patientClass] ?? 'other',
    ...(start ? { start } : {}),
    ...(end ? { end } : {}),
    ...(location ? { location } : {}),
    flags,
  };
}
