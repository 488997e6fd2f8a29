import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { comparableRecord, DEFAULT_MATCH_MODEL, scorePair, type MatchRecord, type PairScore } from './index.ts';

const NORTH = 'urn:vigil:source:north:mrn';
const SOUTH = 'urn:vigil:source:south:mrn';
const NATIONAL = 'urn:oid:2.16.840.1.113883.4.1';

const william: MatchRecord = {
  id: 'a',
  identifiers: [{ system: NORTH, value: '1001' }],
  family: 'Hartwell',
  given: ['William', 'Owen'],
  birthDate: '1974-03-08',
  sex: 'male',
  phone: '(608) 452-3330',
  address: { line: '4820 Union Street', city: 'Madison', postalCode: '53715' },
};

/** The same person (or a relative) as registered at another source, with the given changes. */
const other = (changes: Partial<MatchRecord>): MatchRecord => ({ ...william, id: 'b', identifiers: [{ system: SOUTH, value: '77' }], ...changes });
const score = (a: MatchRecord, b: MatchRecord): PairScore => scorePair(comparableRecord(a), comparableRecord(b));
const level = (s: PairScore, field: string) => s.evidence.find((e) => e.field === field)!.level;

describe('scorePair: identifiers decide first', () => {
  it('links the same value in the same system whatever the demographics say', () => {
    const s = score(william, { id: 'b', identifiers: [{ system: NORTH, value: '001001' }], family: 'Okafor', given: ['Grace'], birthDate: '2001-11-30', sex: 'female' });
    assert.equal(s.outcome, 'match');
    assert.equal(level(s, 'identifier'), 'shared');
    assert.ok(s.evidence[0]!.weight > DEFAULT_MATCH_MODEL.upper, 'the identifier alone outweighs the auto-link threshold');
  });

  it('never auto-links two values of one system, even with every demographic equal (twins, duplicate registrations)', () => {
    const s = score(william, { ...william, id: 'b', identifiers: [{ system: NORTH, value: '1002' }] });
    assert.equal(s.outcome, 'possible');
    assert.equal(s.conflict, 'identifier-conflict');
    const alsoShared = score(
      { ...william, identifiers: [...william.identifiers, { system: NATIONAL, value: '123-45-6789' }] },
      { ...william, id: 'b', identifiers: [{ system: NORTH, value: '1002' }, { system: NATIONAL, value: '123456789' }] },
    );
    assert.equal(alsoShared.outcome, 'possible');
    assert.equal(alsoShared.conflict, 'identifier-conflict');
  });

  it('takes the same MRN value in two different systems as no evidence at all', () => {
    const stranger: MatchRecord = { id: 'b', identifiers: [{ system: SOUTH, value: '1001' }], family: 'Okafor', given: ['Grace'], birthDate: '2001-11-30', sex: 'female' };
    const s = score(william, stranger);
    assert.equal(s.outcome, 'no-match');
    assert.equal(level(s, 'identifier'), 'none');
    assert.equal(s.evidence.find((e) => e.field === 'identifier')!.weight, 0);
  });
});

describe('scorePair: tolerant comparisons', () => {
  it('links the same person registered at another source', () => {
    const s = score(william, other({}));
    assert.equal(s.outcome, 'match');
    assert.equal(s.conflict, undefined);
    assert.deepEqual(s.evidence.map((e) => e.field), ['identifier', 'given', 'family', 'birthDate', 'sex', 'contact']);
  });

  it('takes nicknames', () => {
    for (const nick of ['Bill', 'BILLY ', 'will']) {
      const s = score(william, other({ given: [nick] }));
      assert.equal(level(s, 'given'), 'nickname', nick);
      assert.equal(s.outcome, 'match', nick);
    }
  });

  it('takes typos in names as partial agreement', () => {
    const s = score(william, other({ given: ['Wiliam'], family: 'Hartwel' }));
    assert.equal(level(s, 'given'), 'similar');
    assert.equal(level(s, 'family'), 'similar');
    assert.equal(s.outcome, 'match');
    assert.ok(s.weight < score(william, other({})).weight);
  });

  it('takes a swapped day and month, or one wrong digit, as partial agreement of the birth date', () => {
    const swapped = score(william, other({ birthDate: '1974-08-03' }));
    assert.equal(level(swapped, 'birthDate'), 'transposed');
    assert.equal(swapped.outcome, 'match');
    const digit = score(william, other({ birthDate: '1974-03-09' }));
    assert.equal(level(digit, 'birthDate'), 'near');
    assert.ok(swapped.weight < score(william, other({})).weight);
  });

  it('takes one part of a hyphenated surname', () => {
    const s = score(william, other({ family: 'Hartwell-Moreno' }));
    assert.equal(level(s, 'family'), 'part');
    assert.equal(s.outcome, 'match');
  });

  it('takes a registration under the middle name as partial agreement, for a person to confirm', () => {
    const s = score(william, other({ given: ['Owen'] }));
    assert.equal(level(s, 'given'), 'partial');
    assert.equal(s.outcome, 'possible');
    assert.equal(s.conflict, 'given-name-disagrees');
  });

  it('links a woman under her married surname at the same address, and asks a person once she has also moved', () => {
    const maiden: MatchRecord = { ...william, given: ['Margaret'], family: 'Ellery', sex: 'female' };
    const married = score(maiden, { ...maiden, id: 'b', identifiers: [{ system: SOUTH, value: '5' }], given: ['Peggy'], family: 'Hartwell' });
    assert.equal(level(married, 'family'), 'disagree');
    assert.equal(married.outcome, 'match');
    const moved = score(maiden, { ...maiden, id: 'b', identifiers: [{ system: SOUTH, value: '5' }], family: 'Hartwell', phone: '2175550199', address: { line: '9 Elm St', postalCode: '62701' } });
    assert.equal(moved.outcome, 'possible');
  });

  it('gives a missing field no weight either way', () => {
    const full = score(william, other({}));
    const sparse = score(william, other({ phone: undefined, address: undefined, sex: undefined }));
    for (const field of ['sex', 'contact']) {
      assert.equal(level(sparse, field), 'missing');
      assert.equal(sparse.evidence.find((e) => e.field === field)!.weight, 0);
    }
    const sum = (s: PairScore) => s.evidence.reduce((n, e) => n + e.weight, 0);
    assert.ok(Math.abs(sparse.weight - sum(sparse)) < 0.05);
    assert.ok(Math.abs(full.weight - sum(full)) < 0.05);
    assert.ok(sparse.weight < full.weight);
  });
});

describe('scorePair: relatives are not the person', () => {
  it('does not auto-link twins (same surname, birth date, address and telephone)', () => {
    const sister = score(william, other({ given: ['Eleanor'], sex: 'female' }));
    assert.notEqual(sister.outcome, 'match');
    const brother = score(william, other({ given: ['Thomas'] }));
    assert.equal(brother.outcome, 'possible');
    assert.equal(brother.conflict, 'given-name-disagrees');
    const initialOnly = score({ ...william, given: ['Lina', 'A'], sex: 'female' }, other({ given: ['Ashley'], sex: 'female' }));
    assert.equal(initialOnly.outcome, 'possible', 'a middle initial that is the twin’s first letter does not link');
  });

  it('does not auto-link a son named after his father', () => {
    const junior = score(william, other({ birthDate: '2001-06-19' }));
    assert.notEqual(junior.outcome, 'match');
    const withoutDate = score({ ...william, birthDate: undefined }, other({ birthDate: '2001-06-19' }));
    assert.notEqual(withoutDate.outcome, 'match');
    assert.equal(withoutDate.conflict, 'birth-date-missing');
  });

  it('does not link a spouse or a child', () => {
    assert.equal(score(william, other({ given: ['Ruth'], sex: 'female', birthDate: '1976-10-02' })).outcome, 'no-match');
    assert.equal(score(william, other({ given: ['Nathan'], birthDate: '2004-01-15' })).outcome, 'no-match');
  });

  it('holds a pair whose sex disagrees', () => {
    const s = score(william, other({ sex: 'female' }));
    assert.equal(s.outcome, 'possible');
    assert.equal(s.conflict, 'sex-disagrees');
  });
});
