import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSourceProfile } from '../adapters/source-profile-parse.ts';
import { MRN_SYSTEM } from '../demo/demo-hospital.ts';
import { HOSPITAL_MRN_SYSTEM, SIMULATOR_SOURCES, sourcesInUse } from './sources.ts';

describe('SIMULATOR_SOURCES', () => {
  it('are three fixed HL7 identities whose profiles Vigil accepts as they are', () => {
    assert.deepEqual(
      SIMULATOR_SOURCES.map((s) => [s.name, s.msh3, s.msh4]),
      [['sim-adt', 'SIMADT', 'SIMHOSP'], ['sim-lab', 'SIMLAB', 'SIMHOSP'], ['sim-pharmacy', 'SIMRX', 'SIMHOSP']],
    );
    for (const s of SIMULATOR_SOURCES) {
      const profile = parseSourceProfile(s.profile);
      assert.equal(profile.timeZone, s.timeZone);
      assert.equal(profile.identifiers.systems['SIMHOSP'], HOSPITAL_MRN_SYSTEM);
    }
    const [adt, lab, pharmacy] = SIMULATOR_SOURCES.map((s) => parseSourceProfile(s.profile));
    assert.deepEqual(adt!.cadence, { everyMinutes: 15, activeFrom: '06:00', activeTo: '22:00' });
    assert.equal(lab!.timeZone, 'America/Chicago');
    assert.ok(lab!.codeMaps.length > 10 && lab!.codeMaps.every((m) => m.from.system === 'SLC' && m.to.system === 'http://loinc.org'));
    assert.equal(pharmacy!.medications, 'full-history', 'it sends discontinuations, so a missing order means nothing');
  });

  it('name MRNs in the demo hospital\'s system, so traffic for its patients lands on them', () => {
    assert.equal(HOSPITAL_MRN_SYSTEM, MRN_SYSTEM);
  });

  it('are taken in order: ADT first, then the lab, then the pharmacy', () => {
    assert.deepEqual(sourcesInUse(1).map((s) => s.name), ['sim-adt']);
    assert.deepEqual(sourcesInUse(2).map((s) => s.name), ['sim-adt', 'sim-lab']);
    assert.equal(sourcesInUse(3).length, 3);
  });
});
