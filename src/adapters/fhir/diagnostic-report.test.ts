import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DiagnosticReportBody } from '../../model/clinical.ts';
import { bundle, facts, flagCodes, mapOk, observation, observationBody, patient, type Resource } from './test-helpers.ts';

const OBS_URL = 'urn:uuid:44444444-4444-4444-8444-444444444444';

function report(overrides: Resource = {}): Resource {
  return {
    resourceType: 'DiagnosticReport',
    id: 'r1',
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'LAB' }] }],
    code: { coding: [{ system: 'http://loinc.org', code: '24323-8', display: 'Metabolic panel' }] },
    subject: { reference: 'Patient/p1' },
    effectiveDateTime: '2024-01-02T08:00:00-05:00',
    issued: '2024-01-02T10:00:00-05:00',
    identifier: [
      { type: { coding: [{ code: 'PLAC' }] }, value: 'ORD-1' },
      { type: { coding: [{ code: 'FILL' }] }, value: 'LAB-9' },
    ],
    result: [{ reference: 'Observation/o1' }, { reference: OBS_URL }, { reference: 'Observation/elsewhere' }],
    ...overrides,
  };
}

describe('DiagnosticReport → diagnostic-report fact', () => {
  it('maps status, code, category, times and order numbers', () => {
    const [r] = facts(mapOk(report()).normalized);
    assert.deepEqual(r, {
      kind: 'diagnostic-report',
      sourceKey: 'DiagnosticReport/r1',
      status: 'final',
      code: { codings: [{ system: 'http://loinc.org', code: '24323-8', display: 'Metabolic panel' }] },
      effective: { instant: '2024-01-02T13:00:00.000Z', zoneFrom: 'stated', zone: '-0500', precision: 'second' },
      body: {
        placerOrder: 'ORD-1',
        fillerOrder: 'LAB-9',
        category: 'LAB',
        issued: { instant: '2024-01-02T15:00:00.000Z', zoneFrom: 'stated', zone: '-0500', precision: 'second' },
      },
      position: 'DiagnosticReport',
      flags: [],
    });
  });

  it('each Observation of the payload it lists gets its key as reportKey, before or after it in the bundle', () => {
    const listed = observation({ id: 'o2', component: [{ code: { text: 'part' }, valueString: 'x' }] });
    const { normalized } = mapOk(bundle('transaction', patient(), observation(), report(), { fullUrl: OBS_URL, resource: listed }, observation({ id: 'o3' })));
    assert.deepEqual(
      facts(normalized, 'observation').map((f) => [f.sourceKey, observationBody(f).reportKey]),
      [['Observation/o1', 'DiagnosticReport/r1'], ['Observation/o2', 'DiagnosticReport/r1'], ['Observation/o2/component/0', 'DiagnosticReport/r1'], ['Observation/o3', undefined]],
    );
  });

  it('an unknown status is unknown, flagged; the conclusion is kept; the rendered form is flagged, its attachment never copied', () => {
    const [r] = facts(mapOk(report({ status: 'done', conclusion: '  All normal. ', presentedForm: [{ contentType: 'application/pdf', data: 'JVBERi0x' }] })).normalized);
    assert.equal(r!.status, 'unknown');
    assert.equal((r!.body as DiagnosticReportBody).conclusion, 'All normal.');
    assert.deepEqual(flagCodes(r!.flags), ['segment-ignored@DiagnosticReport.presentedForm', 'status-unknown@DiagnosticReport.status']);
    assert.ok(!JSON.stringify(r).includes('JVBERi0x'));
    const [blank] = facts(mapOk(report({ conclusion: '   ' })).normalized);
    assert.equal((blank!.body as DiagnosticReportBody).conclusion, undefined);
    assert.deepEqual(flagCodes(blank!.flags), ['segment-ignored@DiagnosticReport.conclusion']);
  });
});
