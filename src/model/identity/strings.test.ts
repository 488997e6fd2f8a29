import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { damerauDistance, jaroWinkler } from './strings.ts';

const close = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 0.001, `${actual} ≠ ${expected}`);

describe('jaroWinkler', () => {
  it('gives the published values of Winkler (1990)', () => {
    close(jaroWinkler('MARTHA', 'MARHTA'), 0.961);
    close(jaroWinkler('DWAYNE', 'DUANE'), 0.84);
    close(jaroWinkler('DIXON', 'DICKSONX'), 0.813);
  });
  it('is 1 for equal strings, 0 with nothing in common or an empty side', () => {
    assert.equal(jaroWinkler('SMITH', 'SMITH'), 1);
    assert.equal(jaroWinkler('ABC', 'XYZ'), 0);
    assert.equal(jaroWinkler('', 'SMITH'), 0);
    assert.equal(jaroWinkler('', ''), 0);
  });
  it('is symmetric and handles strings longer than its scratch buffers', () => {
    assert.equal(jaroWinkler('WILLIAMS', 'WILLAIMS'), jaroWinkler('WILLAIMS', 'WILLIAMS'));
    const long = 'A'.repeat(70) + 'B';
    close(jaroWinkler(long, 'A'.repeat(71)), jaroWinkler('A'.repeat(71), long));
  });
});

describe('damerauDistance', () => {
  it('counts substitution, insertion, deletion and adjacent swap as one edit each', () => {
    assert.equal(damerauDistance('SMITH', 'SMYTH'), 1);
    assert.equal(damerauDistance('SMITH', 'SMTH'), 1);
    assert.equal(damerauDistance('SMITH', 'SMIITH'), 1);
    assert.equal(damerauDistance('SMITH', 'SMIHT'), 1);
    assert.equal(damerauDistance('KITTEN', 'SITTING'), 3);
    assert.equal(damerauDistance('', 'ABC'), 3);
  });
  it('stops at max + 1 once the distance must exceed max', () => {
    assert.equal(damerauDistance('19800512', '19631127', 1), 2);
    assert.equal(damerauDistance('A', 'ABCDE', 1), 2);
    assert.equal(damerauDistance('19800512', '19800521', 1), 1);
  });
  it('handles strings longer than its scratch rows', () => {
    assert.equal(damerauDistance('X'.repeat(100), `${'X'.repeat(99)}Y`), 1);
  });
});
