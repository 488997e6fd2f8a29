import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planEpoch, StatementNames } from './prepared-pool.ts';

describe('prepared statement names', () => {
  it('names a text from its second call, the same name every time after', () => {
    const names = new StatementNames();
    const text = 'SELECT id FROM patients WHERE id = $1';
    assert.equal(names.nameFor(text), undefined, 'a one-off text stays unnamed');
    const name = names.nameFor(text);
    assert.match(name ?? '', /^v_[0-9a-f]{20}$/);
    assert.equal(names.nameFor(text), name);
    assert.notEqual(names.nameFor('SELECT 2 WHERE $1') ?? names.nameFor('SELECT 2 WHERE $1'), name, 'another text gets another name');
  });

  it('never names a text the server refused as a prepared statement again', () => {
    const names = new StatementNames();
    const text = 'SELECT * FROM gateway_sources WHERE id = $1';
    names.nameFor(text);
    assert.ok(names.nameFor(text));
    names.refuse(text);
    assert.equal(names.nameFor(text), undefined);
    assert.equal(names.nameFor(text), undefined);
  });

  it('names at most 400 texts in a process', () => {
    const names = new StatementNames();
    for (let i = 0; i < 1_000; i++) {
      names.nameFor(`SELECT ${i} WHERE $1`);
      names.nameFor(`SELECT ${i} WHERE $1`);
    }
    assert.equal(names.size, 400);
    assert.equal(names.nameFor('SELECT 999 WHERE $1'), undefined, 'past the bound a text runs unnamed');
    assert.ok(names.nameFor('SELECT 0 WHERE $1'), 'texts named before keep their names');
  });
});

describe('plan generations', () => {
  it('start anew at 1, 2, 4 … 512 seconds, then every 10 minutes', () => {
    const at = (s: number) => planEpoch(s * 1000);
    assert.equal(at(0.5), 0);
    assert.equal(at(1), 1);
    assert.equal(at(1.9), 1);
    assert.equal(at(2), 2);
    assert.equal(at(4), 3);
    assert.equal(at(511), 9);
    assert.equal(at(512), 10);
    assert.equal(at(1_111), 10);
    assert.equal(at(1_112), 11);
    const changes = new Set(Array.from({ length: 3_600 }, (_, s) => at(s))).size;
    assert.equal(changes, 16, 'sixteen generations in the first hour: plans follow a growing table early, then rarely');
  });
});
