import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blockingKeys, comparableRecord, type MatchRecord } from './index.ts';

const person: MatchRecord = {
  id: 'a',
  identifiers: [{ system: 'urn:vigil:source:north:mrn', value: '1001' }],
  family: 'Hartwell',
  given: ['Elizabeth'],
  birthDate: '1974-03-08',
  sex: 'female',
  phone: '608-452-3330',
  address: { line: '4820 Union St', city: 'Madison', postalCode: '53715' },
};
const keys = (r: MatchRecord) => new Set(blockingKeys(comparableRecord(r)));
const shareKey = (a: MatchRecord, b: MatchRecord) => [...keys(a)].some((k) => keys(b).has(k));

describe('blockingKeys', () => {
  it('is a small set', () => {
    assert.ok(keys(person).size <= 8);
    assert.ok(keys({ ...person, identifiers: [], phone: undefined, address: undefined }).size <= 4);
    assert.equal(keys({ id: 'x', identifiers: [], given: [] }).size, 0);
  });

  it('lets a true duplicate meet its record through every kind of noise the matcher tolerates', () => {
    const elsewhere = { ...person, id: 'b', identifiers: [{ system: 'urn:vigil:source:south:mrn', value: '9' }] };
    const noisy: [string, Partial<MatchRecord>][] = [
      ['nickname, no phone or address', { given: ['Liz'], phone: undefined, address: undefined }],
      ['swapped day and month, no phone or address', { birthDate: '1974-08-03', phone: undefined, address: undefined }],
      ['married surname, no phone or address', { family: 'Okafor', phone: undefined, address: undefined }],
      ['surname typo, no phone or address', { family: 'Hartwel', phone: undefined, address: undefined }],
      ['hyphenated surname, no phone or address', { family: 'Okafor-Hartwell', phone: undefined, address: undefined }],
      ['wrong birth date in the same decade, no phone or address', { birthDate: '1976-11-08', phone: undefined, address: undefined }],
      ['no birth date, same telephone', { birthDate: undefined, address: undefined }],
      ['married surname and wrong birth date', { family: 'Okafor', birthDate: '1975-03-08' }],
    ];
    for (const [name, changes] of noisy) assert.ok(shareKey(person, { ...elsewhere, ...changes }), name);
  });

  it('puts the same identifier value of two systems under different keys', () => {
    const stranger: MatchRecord = { id: 'b', identifiers: [{ system: 'urn:vigil:source:south:mrn', value: '1001' }], given: ['Grace'], family: 'Okafor' };
    assert.ok(!shareKey(person, stranger));
  });
});
