import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { DocumentBody } from '../../../model/clinical.ts';
import { MAX_DOCUMENT_BYTES } from './document-content.ts';
import { facts, flagCodes, hl7, mapError, mapOk, msh, PID, seg } from './test-helpers.ts';

const PV1 = seg('PV1', { 2: 'I', 19: 'V100' });
const PDF = Buffer.from('%PDF-1.4 pretend document');
const txa = (fields: Record<number, string>) => seg('TXA', { 1: '1', 2: 'DS', 3: 'TX', 4: '20240105170000', 12: 'DOC-1^EHR', 17: 'AU', 19: 'AV', ...fields });
const mdm = (event: string, ...rest: string[]) => facts(mapOk(hl7(msh(`MDM^${event}`), 'EVN|' + event, PID, PV1, ...rest)), 'document');
const body = (f: { body: unknown } | undefined) => f!.body as DocumentBody;

describe('MDM documents', () => {
  it('maps T02 (original with content) to a document keyed by TXA-12, with its text content described, not embedded', () => {
    const [doc] = mdm('T02', txa({ 22: '1234^Smith^John^^^^^^^^^^^^20240105180000' }), 'OBX|1|TX|||Discharge summary line one||||||F', 'OBX|2|TX|||Line two~Line three||||||F');
    assert.equal(doc!.sourceKey, 'document:DOC-1^EHR');
    assert.equal(doc!.status, 'current');
    assert.deepEqual(doc!.code, { codings: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0270', code: 'DS' }] });
    const text = 'Discharge summary line one\nLine two\nLine three';
    assert.deepEqual(body(doc), {
      docStatus: 'final',
      title: 'Discharge summary',
      authenticated: { instant: '2024-01-05T23:00:00.000Z', zoneFrom: 'profile', zone: 'America/New_York', precision: 'second' },
      contentType: 'text/plain; charset=utf-8',
      size: Buffer.byteLength(text),
      digest: createHash('sha256').update(text).digest('hex'),
    });
    assert.equal(Buffer.from(doc!.content!.data).toString('utf8'), text);
    assert.equal(doc!.effective?.instant, '2024-01-05T22:00:00.000Z');
    assert.doesNotMatch(JSON.stringify(doc!.body), /Line two/);
  });

  it('maps each TXA-17 completion status, and T08 (edit) of an authenticated document to amended', () => {
    const statuses = ['DI', 'DO', 'IP', 'IN', 'PA', 'AU', 'LA'].map((s) => body(mdm('T04', txa({ 17: s }))[0]).docStatus);
    assert.deepEqual(statuses, ['preliminary', 'preliminary', 'preliminary', 'preliminary', 'preliminary', 'final', 'final']);
    assert.equal(body(mdm('T08', txa({ 17: 'LA' }), 'OBX|1|TX|||Edited||||||F')[0]).docStatus, 'amended');
    assert.equal(body(mdm('T08', txa({ 17: 'IP' }))[0]).docStatus, 'preliminary');
  });

  it('flags an unknown or missing completion status rather than guessing one', () => {
    const [odd] = mdm('T02', txa({ 17: 'ZZ' }));
    assert.equal(body(odd).docStatus, undefined);
    assert.deepEqual(flagCodes(odd!.flags), ['table-value-unknown@TXA-17']);
    const [none] = mdm('T02', txa({ 17: '' }));
    assert.deepEqual(flagCodes(none!.flags), ['status-unknown@TXA-17']);
  });

  it('names the parent of an addendum (T06) and of a replacement (T10)', () => {
    assert.deepEqual(body(mdm('T06', txa({ 12: 'DOC-2^EHR', 13: 'DOC-1^EHR' }))[0]).relatesTo, { code: 'appends', sourceKey: 'document:DOC-1^EHR' });
    assert.deepEqual(body(mdm('T10', txa({ 12: 'DOC-3^EHR', 13: 'DOC-1^EHR' }))[0]).relatesTo, { code: 'replaces', sourceKey: 'document:DOC-1^EHR' });
  });

  it('cancels (T11) or withdraws (TXA-19 CA) a document as entered in error, obsolete (OB) as superseded', () => {
    const [cancelled] = mdm('T11', txa({}));
    assert.deepEqual([cancelled!.status, body(cancelled).docStatus, cancelled!.content], ['entered-in-error', 'entered-in-error', undefined]);
    assert.equal(mdm('T04', txa({ 19: 'CA' }))[0]!.status, 'entered-in-error');
    assert.equal(mdm('T04', txa({ 19: 'OB' }))[0]!.status, 'superseded');
  });

  it('stores an ED (base64 PDF) as the content with its MIME type', () => {
    const [doc] = mdm('T02', txa({}), `OBX|1|ED|||EHR^AP^PDF^Base64^${PDF.toString('base64')}||||||F`);
    assert.equal(doc!.content!.contentType, 'application/pdf');
    assert.deepEqual(Buffer.from(doc!.content!.data), PDF);
    assert.deepEqual([body(doc).contentType, body(doc).size], ['application/pdf', PDF.length]);
  });

  it('reads ED hex and plain-text encodings, and keeps an unknown type as octet-stream, flagged', () => {
    const [hex] = mdm('T02', txa({}), `OBX|1|ED|||^IM^PNG^Hex^${Buffer.from('png!').toString('hex')}||||||F`);
    assert.deepEqual([hex!.content!.contentType, Buffer.from(hex!.content!.data).toString()], ['image/png', 'png!']);
    const [odd] = mdm('T02', txa({}), `OBX|1|ED|||^ZZ^WEIRD^Base64^${PDF.toString('base64')}||||||F`);
    assert.equal(odd!.content!.contentType, 'application/octet-stream');
    assert.deepEqual(flagCodes(odd!.flags), ['table-value-unknown@OBX-5']);
  });

  it('refuses a TXA without its unique document number (AE 101 at TXA-12)', () => {
    const e = mapError(hl7(msh('MDM^T02'), PID, PV1, txa({ 12: '' }), 'OBX|1|TX|||Secret text||||||F'));
    assert.deepEqual([e.ackCode, e.hl7ErrorCode, e.location], ['AE', 101, { segment: 'TXA', field: 12 }]);
    assert.doesNotMatch(e.message, /Secret/);
  });

  it('refuses an MDM without a TXA', () => {
    const e = mapError(hl7(msh('MDM^T02'), PID, PV1, 'OBX|1|TX|||Text||||||F'));
    assert.deepEqual([e.hl7ErrorCode, e.location], [101, { segment: 'TXA' }]);
  });

  it('refuses ED content that is not valid base64, naming OBX-5.5 and never the data', () => {
    const e = mapError(hl7(msh('MDM^T02'), PID, PV1, txa({}), 'OBX|1|ED|||^AP^PDF^Base64^NotBase64!!SecretData||||||F'));
    assert.deepEqual([e.ackCode, e.hl7ErrorCode, e.location], ['AE', 102, { segment: 'OBX', field: 5, component: 5 }]);
    assert.match(e.message, /OBX-5\.5/);
    assert.doesNotMatch(e.message, /SecretData/);
  });

  it('refuses an encoding it cannot decode (table 0299) rather than storing undecoded bytes', () => {
    const e = mapError(hl7(msh('MDM^T02'), PID, PV1, txa({}), 'OBX|1|ED|||^AP^PDF^UU^begin 644||||||F'));
    assert.deepEqual([e.hl7ErrorCode, e.location], [103, { segment: 'OBX', field: 5, component: 4 }]);
  });

  it('refuses a document larger than the limit before decoding it', () => {
    const big = Buffer.alloc(MAX_DOCUMENT_BYTES + 3, 0x41).toString('base64');
    const e = mapError(hl7(msh('MDM^T02'), PID, PV1, txa({}), `OBX|1|ED|||^AP^PDF^Base64^${big}||||||F`));
    assert.deepEqual(e.location, { segment: 'OBX', field: 5, component: 5 });
    assert.match(e.message, /more than the \d+ bytes/);
  });

  it('flags OBX that cannot be part of the content (a second ED, text beside an ED, a number)', () => {
    const [doc] = mdm('T02', txa({}), `OBX|1|ED|||^AP^PDF^Base64^${PDF.toString('base64')}||||||F`, 'OBX|2|TX|||Also text||||||F', 'OBX|3|NM|||5||||||F');
    assert.deepEqual(flagCodes(doc!.flags), ['segment-ignored@OBX[2]', 'segment-ignored@OBX[3]']);
  });
});

describe('ORU with an embedded document (OBX value type ED)', () => {
  it('turns the ED observation into a document with the decoded content, leaving other results alone', () => {
    const n = mapOk(hl7(msh('ORU^R01'), PID, 'OBR|1|P1|F1|11502-2^Lab report^LN|||20240102083000||||||||||||||20240102090000|||F', 'OBX|1|NM|2093-3^Chol^LN||182|mg/dL|||||F', `OBX|2|ED|11502-2^Lab report PDF^LN||LAB^AP^PDF^Base64^${PDF.toString('base64')}||||||C`));
    assert.deepEqual(facts(n, 'observation').map((f) => f.position), ['OBX']);
    const [doc] = facts(n, 'document');
    assert.equal(doc!.position, 'OBX[2]');
    assert.equal(doc!.status, 'current');
    assert.equal(body(doc).docStatus, 'amended');
    assert.equal(body(doc).title, 'Lab report PDF');
    assert.deepEqual(Buffer.from(doc!.content!.data), PDF);
    assert.deepEqual(doc!.flags, []);
  });

  it('refuses an ORU whose ED is not valid base64', () => {
    const e = mapError(hl7(msh('ORU^R01'), PID, 'OBR|1|P1|F1|11502-2^Lab report^LN', 'OBX|1|ED|11502-2^PDF^LN||^AP^PDF^Base64^@@@@||||||F'));
    assert.deepEqual(e.location, { segment: 'OBX', field: 5, component: 5 });
  });
});
