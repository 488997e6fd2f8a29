import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ChartService } from '../../src/core/clinical/chart-service.ts';
import { writeFact, type FactTarget } from '../../src/core/clinical/fact-writer.ts';
import type { ClientSubject } from '../../src/controls/access/subject.ts';
import type { FactInput } from '../../src/model/clinical.ts';
import { startTestVigil, type TestVigil } from '../support/in-process.ts';
import { registeredFactTarget } from './fact-target.ts';

/**
 * A version keeps the number it was given when it arrived: the FHIR versionId and `_history/{n}` of a resource never
 * change meaning. A version that arrives late with an older source time gets the next number, does not become
 * current, and so leaves the resource's versionId where it was; a newer one moves it.
 */
const T = { timeout: 60_000 };
let t: TestVigil;
let target: FactTarget;
const reader: ClientSubject = { kind: 'client', id: '01890000-0000-7000-8000-00000000c0de', name: 'reader', scopes: ['system/*.read'] };
const facts = { requestId: 'version-ids', clientIp: null, userAgent: null, purposeOfUse: 'TREAT' };

const result = (value: number, status: 'preliminary' | 'final' | 'corrected'): FactInput => ({
  kind: 'observation',
  sourceKey: 'ORD-9/2093-3/1',
  status,
  code: { codings: [{ system: 'http://loinc.org', code: '2093-3', display: 'Cholesterol' }] },
  effective: { instant: '2024-03-01T09:00:00.000Z', zoneFrom: 'profile', zone: 'UTC', precision: 'minute' },
  body: { value: { type: 'quantity', quantity: { value, unit: 'mg/dL' } } },
  position: 'OBX[1]',
  flags: [],
});

before(async () => {
  t = await startTestVigil();
  target = await registeredFactTarget(t, { name: 'v-lab', msh3: 'VLAB', msh4: 'V' }, { recordKey: 'V-1', given: 'Vera' });
});
after(() => t?.close());

const write = (input: FactInput, sourceTime: string) => t.vigil.store.tx((trx) => writeFact(trx, target, input, new Date(sourceTime)));
const read = async (id: string) => (await new ChartService(t.vigil.store).read(reader, facts, 'Observation', id)) as unknown as { meta: { versionId: string }; status: string };
const history = async (id: string) => (await new ChartService(t.vigil.store).history(reader, facts, id)).versions.map((v) => [v.version, v.status, v.current]);

describe('stable FHIR version ids', () => {
  it('numbers versions by arrival, keeps the versionId when a late older version arrives, and moves it for a newer one', T, async () => {
    const id = await write(result(200, 'preliminary'), '2024-03-01T10:00:00Z');
    assert.equal((await read(id)).meta.versionId, '1');
    await write(result(190, 'corrected'), '2024-03-01T14:00:00Z');
    assert.deepEqual([(await read(id)).meta.versionId, (await read(id)).status], ['2', 'corrected']);
    // The final result, sent between the two, arrives last: version 3, ranked in the middle, not current.
    await write(result(195, 'final'), '2024-03-01T12:00:00Z');
    assert.deepEqual([(await read(id)).meta.versionId, (await read(id)).status], ['2', 'corrected'], 'the resource did not change, nor did its versionId');
    assert.deepEqual(await history(id), [[1, 'preliminary', false], [3, 'final', false], [2, 'corrected', true]], 'listed by rank, each under the number it arrived with');
    // Delivered again: nothing new.
    await write(result(195, 'final'), '2024-03-01T12:00:00Z');
    assert.equal((await history(id)).length, 3);
  });
});
