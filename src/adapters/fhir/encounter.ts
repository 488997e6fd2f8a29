import type { EncounterClass, EncounterInput, EncounterStatus } from '../../model/clinical.ts';
import type { QualityFlag } from '../../model/quality.ts';
import type { MapState } from './context.ts';
import { flag } from './flags.ts';
import { objectAt, objectsAt, stringAt } from './json.ts';
import type { PayloadEntry } from './payload.ts';
import { fhirPeriod } from './time.ts';

/** R4 Encounter.status → the model's. triaged is arrived (still waiting), onleave is still in progress. */
const STATUS: Record<string, EncounterStatus> = {
  planned: 'planned',
  arrived: 'arrived',
  triaged: 'arrived',
  'in-progress': 'in-progress',
  onleave: 'in-progress',
  finished: 'finished',
  cancelled: 'cancelled',
  'entered-in-error': 'entered-in-error',
};

/**
 * Encounter.class (v3 ActCode; HL7 v2 table 0004 letters from converted feeds) → the model's class. Anything else
 * (home health, virtual, short stay, local codes) is `other`, as unlisted PV1-2 codes are in the HL7 mapper.
 */
const CLASS: Record<string, EncounterClass> = {
  IMP: 'inpatient',
  ACUTE: 'inpatient',
  NONAC: 'inpatient',
  AMB: 'outpatient',
  EMER: 'emergency',
  PRENC: 'preadmit',
  I: 'inpatient',
  O: 'outpatient',
  E: 'emergency',
  P: 'preadmit',
  R: 'recurring',
};

/**
 * An Encounter resource. Its key is the resource's (`Encounter/<id>` or its identifier). An unknown status reads as
 * finished when the period has ended and in progress otherwise, flagged `status-unknown`.
 */
export function mapEncounter(entry: PayloadEntry, m: MapState): EncounterInput {
  const { resource: r, base } = entry;
  const flags: QualityFlag[] = [];
  const period = fhirPeriod(r, 'period', m.ctx, base, flags);
  const raw = stringAt(r, 'status');
  let status = raw === undefined ? undefined : STATUS[raw];
  if (!status) {
    flag(flags, 'status-unknown', `${base}.status`);
    status = period?.end ? 'finished' : 'in-progress';
  }
  const code = stringAt(objectAt(r, 'class'), 'code');
  const location = objectsAt(r, 'location').map(([l]) => stringAt(objectAt(l, 'location'), 'display')).find(Boolean);
  return {
    sourceKey: m.keyOf(entry),
    status,
    class: (code && CLASS[code.toUpperCase()]) || 'other',
    ...(period?.start ? { start: period.start } : {}),
    ...(period?.end ? { end: period.end } : {}),
    ...(location ? { location } : {}),
    flags,
  };
}
