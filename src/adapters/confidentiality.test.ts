import assert from 'node:assert/strict';
import { test } from 'node:test';
import { confidentialityLabels } from './confidentiality.ts';

test('restricted and very restricted carry themselves; usual control and the open v3 codes carry nothing', () => {
  assert.deepEqual(confidentialityLabels('R', undefined), { labels: ['R'], unknown: false });
  assert.deepEqual(confidentialityLabels(' v ', undefined), { labels: ['V'], unknown: false });
  for (const open of ['', 'U', 'N', 'L', 'M', 'u']) assert.deepEqual(confidentialityLabels(open, undefined), { labels: [], unknown: false }, open);
});

test('a profile mapping wins, and may open a code; an unknown code closes, and is said to be unknown', () => {
  const mapping = { V: 'PSY', R: '' };
  assert.deepEqual(confidentialityLabels('V', mapping), { labels: ['PSY'], unknown: false });
  assert.deepEqual(confidentialityLabels('r', mapping), { labels: [], unknown: false });
  assert.deepEqual(confidentialityLabels('Q', mapping), { labels: ['Q'], unknown: true });
});
