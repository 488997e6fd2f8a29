import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { phoneticKey } from './phonetic.ts';

describe('phoneticKey', () => {
  it('gives spellings that sound alike one key', () => {
    for (const [a, b] of [['SMITH', 'SMYTH'], ['KNIGHT', 'NIGHT'], ['PHILLIPS', 'FILLIPS'], ['SCHMIDT', 'SSMIDT'], ['MACDONALD', 'MCDONALD'], ['LYNN', 'LINN'], ['JOHNSON', 'JONSON']]) {
      assert.equal(phoneticKey(a!), phoneticKey(b!), `${a} / ${b}`);
    }
  });
  it('keeps names that sound different apart, and the first letter', () => {
    assert.notEqual(phoneticKey('SMITH'), phoneticKey('JONES'));
    assert.notEqual(phoneticKey('BROWN'), phoneticKey('GREEN'));
    assert.equal(phoneticKey('WILLIAMS')[0], 'W');
  });
  it('answers empty for input without letters', () => {
    assert.equal(phoneticKey(''), '');
    assert.equal(phoneticKey('123'), '');
  });
});
