import assert from 'node:assert/strict';
import { test } from 'node:test';
import { observationCategoryOf } from './observation-category.ts';

const loinc = (code: string) => [{ system: 'http://loinc.org', code }];

test('a vital sign by its LOINC code wins over the section it was reported in', () => {
  assert.equal(observationCategoryOf(loinc('8480-6'), 'CH'), 'vital-signs');
  assert.equal(observationCategoryOf(loinc('29463-7'), undefined), 'vital-signs');
  assert.equal(observationCategoryOf([{ system: 'urn:local', code: '8480-6' }], undefined), undefined, 'a local code that happens to match is not LOINC');
});

test('the v2 service section gives the category; sections that could be several give none', () => {
  assert.equal(observationCategoryOf(loinc('2345-7'), 'CH'), 'laboratory');
  assert.equal(observationCategoryOf([], ' hm '), 'laboratory');
  assert.equal(observationCategoryOf([], 'RAD'), 'imaging');
  assert.equal(observationCategoryOf([], 'EC'), 'procedure');
  assert.equal(observationCategoryOf([], 'PT'), 'therapy');
  for (const section of ['ICU', 'NRS', 'OTH', 'ZZZ', '']) assert.equal(observationCategoryOf([], section), undefined, section);
});
