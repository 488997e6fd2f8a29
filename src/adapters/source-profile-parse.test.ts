import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidProfileError, parseSourceProfile } from './source-profile-parse.ts';

test('documentConfidentiality maps codes to labels, upper-cased, and may map a code to no label', () => {
  const profile = parseSourceProfile({ documentConfidentiality: { v: 'psy', U: '' } });
  assert.deepEqual(profile.documentConfidentiality, { V: 'PSY', U: '' });
  assert.equal(parseSourceProfile({}).documentConfidentiality, undefined, 'absent unless given');
});

test('documentConfidentiality refuses what is not a map of short codes, naming the field', () => {
  for (const bad of [['R'], { R: 7 }, { 'R R': 'X' }, { R: 'not a label!' }, 'R']) {
    assert.throws(() => parseSourceProfile({ documentConfidentiality: bad }), (err: unknown) => err instanceof InvalidProfileError && /documentConfidentiality/.test(err.message), JSON.stringify(bad));
  }
});
