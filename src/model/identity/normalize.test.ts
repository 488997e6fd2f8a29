import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nameTokens, normalizeIdentifierValue, normalizePhone, normalizePostalCode, parseAddressLine, parseBirthDate } from './normalize.ts';

describe('normalization', () => {
  it('folds case, accents, spaces and punctuation of names, and drops suffixes and titles', () => {
    assert.deepEqual(nameTokens('  José  '), ['JOSE']);
    assert.deepEqual(nameTokens("O'Brien"), ['OBRIEN']);
    assert.deepEqual(nameTokens('Garcia-Lopez'), ['GARCIA', 'LOPEZ']);
    assert.deepEqual(nameTokens('de la Cruz'), ['DE', 'LA', 'CRUZ']);
    assert.deepEqual(nameTokens('SMITH JR.'), ['SMITH']);
    assert.deepEqual(nameTokens(''), []);
    assert.deepEqual(nameTokens(undefined), []);
  });

  it('parses real birth dates and refuses impossible and placeholder ones', () => {
    assert.deepEqual(parseBirthDate('1980-05-12'), { digits: '19800512', year: 1980, month: 5, day: 12 });
    assert.equal(parseBirthDate('1980-05-12T00:00:00Z')?.digits, '19800512');
    assert.equal(parseBirthDate('1981-02-29'), undefined);
    assert.equal(parseBirthDate('1980-13-01'), undefined);
    assert.equal(parseBirthDate('1900-01-01'), undefined);
    assert.equal(parseBirthDate('12/05/1980'), undefined);
    assert.equal(parseBirthDate(undefined), undefined);
  });

  it('reduces telephone numbers to ten digits and refuses filler', () => {
    assert.equal(normalizePhone('+1 (415) 555-0100'), '4155550100');
    assert.equal(normalizePhone('415.555.0100'), '4155550100');
    assert.equal(normalizePhone('14155550100'), '4155550100');
    assert.equal(normalizePhone('555-0100'), '5550100');
    assert.equal(normalizePhone('0000000000'), '');
    assert.equal(normalizePhone('12345'), '');
  });

  it('splits address lines and abbreviates street words one way', () => {
    assert.deepEqual(parseAddressLine('12 North Maple Avenue Apt 4'), { house: '12', street: 'N MAPLE AVE', unit: '4' });
    assert.deepEqual(parseAddressLine('12 N MAPLE AVE #4'), { house: '12', street: 'N MAPLE AVE', unit: '4' });
    assert.deepEqual(parseAddressLine('PO Box 7'), { house: '', street: 'PO BOX 7', unit: '' });
    assert.equal(normalizePostalCode('12345-6789'), '12345');
    assert.equal(normalizePostalCode('sw1a 1aa'), 'SW1A1AA');
  });

  it('treats identifier formatting as formatting', () => {
    assert.equal(normalizeIdentifierValue('00012345'), '12345');
    assert.equal(normalizeIdentifierValue('123-45-6789'), '123456789');
    assert.equal(normalizeIdentifierValue(' ab 12 '), 'AB12');
    assert.equal(normalizeIdentifierValue('000'), '000');
  });
});
