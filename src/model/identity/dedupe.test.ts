import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dedupe, type MatchRecord } from './index.ts';

const base: Omit<MatchRecord, 'id' | 'identifiers'> = {
  family: 'Hartwell',
  given: ['William'],
  birthDate: '1974-03-08',
  sex: 'male',
  phone: '608-452-3330',
  address: { line: '4820 Union St', city: 'Madison', postalCode: '53715' },
};
const mrn = (source: string, value: string) => [{ system: `urn:vigil:source:${source}:mrn`, value }];

/** Clusters of the transitive closure of links, as sorted id lists. */
function clusters(ids: string[], links: [string, string][]): string[][] {
  const parent = new Map(ids.map((id) => [id, id]));
  const find = (x: string): string => (parent.get(x) === x ? x : find(parent.get(x)!));
  for (const [a, b] of links) parent.set(find(a), find(b));
  const groups = new Map<string, string[]>();
  for (const id of ids) groups.set(find(id), [...(groups.get(find(id)) ?? []), id]);
  return [...groups.values()].map((g) => g.sort()).sort((x, y) => x[0]!.localeCompare(y[0]!));
}

describe('dedupe', () => {
  it('links one person across sources and keeps the twin and a stranger apart', () => {
    const records: MatchRecord[] = [
      { ...base, id: 'w1', identifiers: mrn('north', '1') },
      { ...base, id: 'w2', identifiers: mrn('south', '1'), given: ['Bill'], phone: undefined },
      { ...base, id: 'w3', identifiers: mrn('east', '40'), family: 'HARTWEL', birthDate: '1974-08-03' },
      { ...base, id: 'twin', identifiers: mrn('west', '1'), given: ['Thomas'] },
      { id: 'stranger', identifiers: mrn('north', '2'), family: 'Okafor', given: ['Grace'], birthDate: '1990-01-01', sex: 'female' },
    ];
    const result = dedupe(records);
    assert.deepEqual(clusters(records.map((r) => r.id), result.links), [['stranger'], ['twin'], ['w1', 'w2', 'w3']]);
    assert.ok(result.possible.some(([a, b]) => [a, b].includes('twin')), 'the twin is offered for review');
    assert.ok(result.possible.every(([a, b]) => a !== 'stranger' && b !== 'stranger'));
  });

  it('never joins two records with different values of one identifier system through a third record', () => {
    const records: MatchRecord[] = [
      { ...base, id: 'a', identifiers: mrn('north', '1') },
      { ...base, id: 'b', identifiers: mrn('south', '9') },
      { ...base, id: 'c', identifiers: mrn('north', '2') },
    ];
    const result = dedupe(records);
    const groups = clusters(['a', 'b', 'c'], result.links);
    assert.ok(!groups.some((g) => g.includes('a') && g.includes('c')), JSON.stringify(groups));
    assert.equal(result.stats.refusedLinks, 1);
    assert.equal(result.possible.length, 1, 'the refused link goes to review');
  });

  it('links records sharing an identifier even when their demographics differ', () => {
    const records: MatchRecord[] = [
      { ...base, id: 'a', identifiers: [{ system: 'urn:oid:2.16.840.1.113883.4.1', value: '123-45-6789' }] },
      { id: 'b', identifiers: [{ system: 'urn:oid:2.16.840.1.113883.4.1', value: '123456789' }], given: ['W'], family: 'Smith' },
    ];
    assert.deepEqual(dedupe(records).links, [['a', 'b']]);
  });

  it('answers nothing for no records', () => {
    assert.deepEqual(dedupe([]), { links: [], possible: [], stats: { records: 0, candidatePairs: 0, skippedKeys: 0, refusedLinks: 0 } });
  });
});
