import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashSeed, SeededRandom } from './random.ts';

describe('SeededRandom', () => {
  it('repeats a stream for a seed, whether given as a number or as text', () => {
    const draw = (seed: string) => {
      const r = new SeededRandom(seed);
      return Array.from({ length: 50 }, () => r.next());
    };
    assert.deepEqual(draw('42'), draw(String(42)));
    assert.notDeepEqual(draw('42'), draw('43'));
    assert.equal(hashSeed(42), hashSeed('42'));
  });

  it('forks streams that do not disturb each other', () => {
    const a = new SeededRandom('s');
    const b = new SeededRandom('s');
    b.next();
    assert.deepEqual(Array.from({ length: 5 }, () => a.fork('x').next()), Array.from({ length: 5 }, () => b.fork('x').next()));
    assert.notEqual(a.fork('x').next(), a.fork('y').next());
  });

  it('keeps draws within their bounds and covers them', () => {
    const r = new SeededRandom('bounds');
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const n = r.int(3, 7);
      assert.ok(n >= 3 && n <= 7 && Number.isInteger(n));
      seen.add(n);
    }
    assert.equal(seen.size, 5);
    const items = ['a', 'b', 'c', 'd'];
    assert.deepEqual(r.shuffle(items).sort(), items);
    assert.equal(new Set(r.sample(items, 3)).size, 3);
    assert.match(r.digits(6), /^\d{6}$/);
  });
});
