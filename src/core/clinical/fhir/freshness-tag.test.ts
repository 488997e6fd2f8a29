import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FRESHNESS_SYSTEM, tagPossiblyStale } from './freshness-tag.ts';

interface Meta { versionId: string; source: string; tag?: { system: string; code: string }[] }
const resource = (source: string, tag?: Meta['tag']): { resourceType: string; id: string; meta: Meta } => ({ resourceType: 'Observation', id: 'o1', meta: { versionId: '1', source, ...(tag ? { tag } : {}) } });

test('a resource from a stale feed is tagged possibly-stale, once; others and other tags are left alone', () => {
  const stale = new Set(['north-lab']);
  const lab = resource('urn:vigil:source:north-lab', [{ system: 'urn:vigil:fhir:CodeSystem/derivation', code: 'inferred' }]);
  tagPossiblyStale(lab, stale);
  tagPossiblyStale(lab, stale);
  assert.deepEqual(lab.meta.tag!.map((t) => [t.system, t.code]), [['urn:vigil:fhir:CodeSystem/derivation', 'inferred'], [FRESHNESS_SYSTEM, 'possibly-stale']]);
  const adt = resource('urn:vigil:source:north-adt');
  tagPossiblyStale(adt, stale);
  assert.equal(adt.meta.tag, undefined);
  const prefixOnly = resource('urn:vigil:source:north-lab-2');
  tagPossiblyStale(prefixOnly, stale);
  assert.equal(prefixOnly.meta.tag, undefined, 'names are matched whole');
});

test('every entry of a Bundle is looked at; nothing changes when no feed is stale', () => {
  const lab = resource('urn:vigil:source:north-lab');
  const patient = { resourceType: 'Patient', id: 'p' };
  const bundle = { resourceType: 'Bundle', entry: [{ resource: lab }, { resource: patient }] };
  tagPossiblyStale(bundle, new Set());
  assert.equal(lab.meta.tag, undefined);
  tagPossiblyStale(bundle, new Set(['north-lab']));
  assert.equal((lab.meta as Meta).tag?.length, 1, 'the call above tagged it');
  assert.deepEqual(patient, { resourceType: 'Patient', id: 'p' });
});
