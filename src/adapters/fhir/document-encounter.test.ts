import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { DocumentBody } from '../../model/clinical.ts';
import { CANARY_PATIENT } from '../../../test/support/canaries.ts';
import { MAX_DOCUMENT_BYTES } from './document.ts';
import { bundle, facts, flagCodes, mapError, mapOk, patient, type Resource } from './test-helpers.ts';

function documentReference(overrides: Resource = {}): Resource {
  return {
    resourceType: 'DocumentReference',
    id: 'doc1',
    status: 'current',
    type: { coding: [{ system: 'http://loinc.org', code: '18842-5', display: 'Discharge summary' }] },
    subject: { reference: 'Patient/p1' },
    date: '2024-02-01T12:00:00Z',
    description: 'Discharge summary',
    content: [{ attachment: { contentType: 'text/plain', data: Buffer.from(`Patient ${CANARY_PATIENT.family} went home.`).toString('base64'), url: 'Binary/b1' } }],
    context: { encounter: [{ reference: 'Encounter/e1' }] },
    ...overrides,
  };
}

function encounter(overrides: Resource = {}): Resource {
  return {
    resourceType: 'Encounter',
    id: 'e1',
    status: 'in-progress',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' },
    subject: { reference: 'Patient/p1' },
    period: { start: '2024-01-30T08:00:00-05:00' },
    location: [{ location: { reference: 'Location/w1', display: 'Ward 3' } }],
    ...overrides,
  };
}

describe('DocumentReference → document fact', () => {
  it('keeps type, title, content type, size and digest in the body, the content beside it (never serialized), never the url', () => {
    const { normalized } = mapOk(bundle('transaction', patient(), encounter(), documentReference()));
    const [doc] = facts(normalized, 'document');
    const text = `Patient ${CANARY_PATIENT.family} went home.`;
    assert.deepEqual([doc!.kind, doc!.sourceKey, doc!.status, doc!.code?.codings[0]?.code, doc!.effective?.instant], ['document', 'DocumentReference/doc1', 'current', '18842-5', '2024-02-01T12:00:00.000Z']);
    assert.deepEqual(doc!.body as DocumentBody, { title: 'Discharge summary', contentType: 'text/plain', size: Buffer.byteLength(text), digest: createHash('sha256').update(text).digest('hex') });
    assert.equal(doc!.content?.contentType, 'text/plain');
    assert.equal(Buffer.from(doc!.content!.data).toString('utf8'), text);
    const serialized = JSON.stringify(normalized);
    assert.ok(!serialized.includes(CANARY_PATIENT.family) && !serialized.includes(Buffer.from(text).toString('base64')) && !serialized.includes('Binary/b1'));
    assert.equal(normalized.groups.find((g) => g.encounter)!.facts[0], doc, 'context.encounter places it with its encounter');
  });

  it('the attachment’s own size and title when sent; status outside the value set is unknown', () => {
    const f = facts(mapOk(documentReference({ description: undefined, status: 'final', content: [{ attachment: { title: 'Scan', size: 2048 } }] })).normalized)[0]!;
    assert.deepEqual([f.body, f.status, flagCodes(f.flags)], [{ title: 'Scan', size: 2048 }, 'unknown', ['status-unknown@DocumentReference.status']]);
  });
});

describe('DocumentReference attachment data that cannot be stored', () => {
  it('refuses data that is not base64, naming the element and never the value', () => {
    const e = mapError(bundle('transaction', patient(), documentReference({ content: [{ attachment: { contentType: 'application/pdf', data: 'not base64 at all!!' } }] })));
    assert.equal(e.issues[0]!.code, 'value');
    assert.match(e.issues[0]!.expression, /\.content\[0\]\.attachment\.data$/);
    assert.doesNotMatch(JSON.stringify(e.issues) + e.message, /not base64 at all/);
  });

  it('refuses data larger than the limit', () => {
    const big = Buffer.alloc(MAX_DOCUMENT_BYTES + 1).toString('base64');
    const e = mapError(bundle('transaction', patient(), documentReference({ content: [{ attachment: { contentType: 'application/pdf', data: big } }] })));
    assert.match(e.issues[0]!.diagnostics, /more than the \d+ bytes/);
  });
});

describe('Encounter → the encounter of a group', () => {
  it('maps key, status, class, period and location', () => {
    const g = mapOk(bundle('batch', patient(), encounter())).normalized.groups[1]!;
    assert.deepEqual(g.encounter, {
      sourceKey: 'Encounter/e1',
      status: 'in-progress',
      class: 'inpatient',
      start: { instant: '2024-01-30T13:00:00.000Z', zoneFrom: 'stated', zone: '-0500', precision: 'second' },
      location: 'Ward 3',
      flags: [],
    });
  });

  it('maps every R4 status; an unknown one reads from the period, flagged', () => {
    const statusOf = (status: string, period?: Resource) => mapOk(encounter({ status, ...(period ? { period } : {}) })).normalized.groups[0]!.encounter!.status;
    assert.deepEqual(
      ['planned', 'arrived', 'triaged', 'in-progress', 'onleave', 'finished', 'cancelled', 'entered-in-error'].map((s) => statusOf(s)),
      ['planned', 'arrived', 'arrived', 'in-progress', 'in-progress', 'finished', 'cancelled', 'entered-in-error'],
    );
    assert.equal(statusOf('unknown'), 'in-progress');
    assert.equal(statusOf('unknown', { start: '2024-01-01', end: '2024-01-02' }), 'finished');
    assert.deepEqual(flagCodes(mapOk(encounter({ status: 'unknown' })).normalized.groups[0]!.encounter!.flags), ['status-unknown@Encounter.status']);
  });

  it('maps class codes, other for the rest; keyed by identifier without an id', () => {
    const classOf = (code?: string) => mapOk(encounter({ class: code ? { code } : undefined })).normalized.groups[0]!.encounter!.class;
    assert.deepEqual(['AMB', 'EMER', 'IMP', 'ACUTE', 'PRENC', 'HH', 'VR', 'I', 'R', undefined].map(classOf), [
      'outpatient', 'emergency', 'inpatient', 'inpatient', 'preadmit', 'other', 'other', 'inpatient', 'recurring', 'other',
    ]);
    const keyed = mapOk(encounter({ id: undefined, identifier: [{ system: 'urn:visits', value: 'V-77' }] })).normalized.groups[0]!.encounter!;
    assert.equal(keyed.sourceKey, 'Encounter?identifier=urn:visits|V-77');
  });
});
