import { LAB_CODE_MAPS } from './lab-catalog.ts';

/**
 * The simulated hospital's sending systems: fixed names and MSH identities, so an operator registers them once and
 * every seed's traffic is recognised. Profiles are plain JSON documents, the same an operator would pass to
 * `vigil sources add --profile FILE`.
 */
export type SimSourceName = 'sim-adt' | 'sim-lab' | 'sim-pharmacy';

export interface SimulatorSource {
  name: SimSourceName;
  msh3: string;
  msh4: string;
  /** What the source's message timestamps mean; the same zone the profile declares. */
  timeZone: string;
  profile: Record<string, unknown>;
}

/** The hospital's assigning authority for medical record numbers (PID-3.4). */
export const HOSPITAL_AUTHORITY = 'SIMHOSP';
/** The pharmacy's own patient numbers, sent beside the MRN. */
export const PHARMACY_AUTHORITY = 'SIMRX';

/**
 * The same system URI as the demo hospital's MRNs (src/demo/demo-hospital.ts MRN_SYSTEM; a test holds them equal), so
 * traffic for `knownPatients` lands on the demo's existing patients instead of making new ones.
 */
export const HOSPITAL_MRN_SYSTEM = 'urn:oid:2.16.840.1.113883.19.5';
export const PHARMACY_ID_SYSTEM = 'urn:oid:2.16.840.1.113883.19.5.77';

const identifiers = {
  systems: { [HOSPITAL_AUTHORITY]: HOSPITAL_MRN_SYSTEM, [PHARMACY_AUTHORITY]: PHARMACY_ID_SYSTEM },
  recordNumberTypes: ['MR'],
};

export const SIMULATOR_SOURCES: readonly SimulatorSource[] = Object.freeze([
  {
    name: 'sim-adt',
    msh3: 'SIMADT',
    msh4: HOSPITAL_AUTHORITY,
    timeZone: 'America/New_York',
    profile: {
      timeZone: 'America/New_York',
      identifiers,
      medications: 'full-history',
      unknownPatient: 'create',
      // The simulator ends every segment with CR, so a missing final terminator means a cut message: refused.
      requireSegmentTerminator: true,
      parkMinutes: 1440,
      cadence: { everyMinutes: 15, activeFrom: '06:00', activeTo: '22:00' },
    },
  },
  {
    name: 'sim-lab',
    msh3: 'SIMLAB',
    msh4: HOSPITAL_AUTHORITY,
    timeZone: 'America/Chicago',
    profile: {
      timeZone: 'America/Chicago',
      identifiers,
      // LAB_CODE_SYSTEM stays unlisted in codeSystems: its codes are the lab's own, and the unmapped ones are flagged.
      codeMaps: LAB_CODE_MAPS,
      medications: 'full-history',
      // Results often arrive before the registration they belong to: wait for the ADT feed rather than guess.
      unknownPatient: 'park',
      // The simulator ends every segment with CR, so a missing final terminator means a cut message: refused.
      requireSegmentTerminator: true,
      parkMinutes: 1440,
      cadence: { everyMinutes: 60 },
    },
  },
  {
    name: 'sim-pharmacy',
    msh3: 'SIMRX',
    msh4: HOSPITAL_AUTHORITY,
    timeZone: 'America/New_York',
    profile: {
      timeZone: 'America/New_York',
      identifiers,
      // Each RDE carries one order and a stop is sent as its own RDE (ORC-1 DC): a full history, not lists.
      medications: 'full-history',
      unknownPatient: 'park',
      // The simulator ends every segment with CR, so a missing final terminator means a cut message: refused.
      requireSegmentTerminator: true,
      parkMinutes: 1440,
      cadence: { everyMinutes: 120, activeFrom: '07:00', activeTo: '21:00' },
    },
  },
]);

export function simulatorSource(name: SimSourceName): SimulatorSource {
  return SIMULATOR_SOURCES.find((s) => s.name === name)!;
}

/** The sources a run uses: `--sources 1` is the ADT feed alone, 2 adds the lab, 3 the pharmacy. */
export function sourcesInUse(count: number): SimulatorSource[] {
  return SIMULATOR_SOURCES.slice(0, Math.min(Math.max(count, 1), SIMULATOR_SOURCES.length));
}
