import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CANARY_PATIENT } from '../../../test/support/canaries.ts';
import { mapFhirPayload, splitNdjson } from './index.ts';
import { bundle, context, facts, observation, patient } from './test-helpers.ts';

describe('NDJSON', () => {
  const text = [
    JSON.stringify(patient()),
    '',
    `{"resourceType":"Patient","name":[{"family":"${CANARY_PATIENT.family}"}]`,
    JSON.stringify(observation()),
    '[1, 2]',
    `"${CANARY_PATIENT.given}"`,
    '   ',
    JSON.stringify(observation({ id: 'o2' })),
  ].join('\r\n');

  it('parses each line on its own; a broken line is reported by number and the rest still read', () => {
    const out = splitNdjson(`\uFEFF${text}\n`);
    assert.equal(out.lines.length, 3);
    assert.deepEqual(out.lineNumbers, [1, 4, 8]);
    assert.deepEqual(out.errors, [
      { line: 3, reason: 'The line is not valid JSON.' },
      { line: 5, reason: 'The line is not a JSON object; each line must hold one FHIR resource.' },
      { line: 6, reason: 'The line is not a JSON object; each line must hold one FHIR resource.' },
    ]);
  });

  it('never quotes a broken line in its reason', () => {
    const said = JSON.stringify(splitNdjson(text).errors).toLowerCase();
    for (const value of Object.values(CANARY_PATIENT)) assert.ok(!said.includes(value.toLowerCase()));
  });

  it('lines map one by one, or together as a collection so references between them resolve', () => {
    const { lines } = splitNdjson(text);
    const single = lines.map((line) => mapFhirPayload(line, context()));
    assert.deepEqual(single.map((o) => o.ok && o.normalized.event), ['FHIR:Patient', 'FHIR:Observation', 'FHIR:Observation']);
    const together = mapFhirPayload(bundle('collection', ...(lines as Record<string, unknown>[])), context());
    assert.ok(together.ok);
    assert.equal(together.normalized.groups.length, 1);
    assert.equal(facts(together.normalized).length, 2);
  });
});
