import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { encodeFrame, MllpFrameDecoder, type MllpDecoded } from './framing.ts';

const CORPUS = join(import.meta.dirname, '../../../test/fixtures/hl7');
const payloads = ['mscvt_ADT-A01-01.hl7', 'hapi_segmentfinder_a24.hl7', 'hapi_cv.04_001_chem.hl7'].map((f) => readFileSync(join(CORPUS, f)));
const stream = Buffer.concat(payloads.map((p) => encodeFrame(p)));

function decodeAll(decoder: MllpFrameDecoder, chunks: Buffer[]): MllpDecoded[] {
  return chunks.flatMap((c) => decoder.push(c));
}

function framesOf(events: MllpDecoded[]): Buffer[] {
  return events.flatMap((e) => (e.type === 'frame' ? [e.payload] : []));
}

function chunked(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size));
  return out;
}

const VT = Buffer.from([0x0b]);
const FS = Buffer.from([0x1c]);
const CR = Buffer.from([0x0d]);

describe('MLLP frame decoder', () => {
  it('decodes frames fed one byte at a time', () => {
    const events = decodeAll(new MllpFrameDecoder({ maxMessageBytes: 64 * 1024 }), chunked(stream, 1));
    assert.deepEqual(events.map((e) => e.type), ['frame', 'frame', 'frame']);
    assert.deepEqual(framesOf(events), payloads);
  });

  it('decodes the same frames whatever the split point between two chunks', () => {
    const two = Buffer.concat([encodeFrame(payloads[1]!), encodeFrame(payloads[2]!)]);
    for (let k = 0; k <= two.length; k++) {
      const events = decodeAll(new MllpFrameDecoder({ maxMessageBytes: 4096 }), [two.subarray(0, k), two.subarray(k)]);
      assert.deepEqual(framesOf(events), [payloads[1], payloads[2]], `split at ${k}`);
      assert.equal(events.length, 2, `split at ${k}`);
    }
  });

  it('decodes many frames from one chunk, in order', () => {
    const many = Array.from({ length: 50 }, (_, i) => Buffer.from(`MSH|^~\\&|A|B|C|D|2024||ADT^A01|M${i}|P|2.5\rPID|${i}\r`));
    const events = new MllpFrameDecoder({ maxMessageBytes: 1024 }).push(Buffer.concat(many.map((m) => encodeFrame(m))));
    assert.deepEqual(framesOf(events), many);
  });

  it('returns the payload bytes untouched: no character decoding in the framer', () => {
    const latin1 = Buffer.concat([Buffer.from('MSH|^~\\&|A\rPID|1||||M'), Buffer.from([0xfc, 0x6c, 0x6c, 0x65, 0x72, 0xff, 0x00]), Buffer.from('\r')]);
    const [event] = new MllpFrameDecoder({ maxMessageBytes: 1024 }).push(encodeFrame(latin1));
    assert.ok(event?.type === 'frame' && event.payload.equals(latin1));
  });

  it('discards and counts bytes outside frames, and never fails on them', () => {
    const decoder = new MllpFrameDecoder({ maxMessageBytes: 4096 });
    const events = decodeAll(decoder, [Buffer.from('garbage'), encodeFrame(payloads[1]!), Buffer.from('\r\n'), encodeFrame(payloads[2]!), Buffer.from('tail')]);
    assert.deepEqual(
      events.map((e) => (e.type === 'junk' ? `junk ${e.bytes}` : e.type)),
      ['junk 7', 'frame', 'junk 2', 'frame', 'junk 4'],
    );
    let seed = 7;
    const noise = Buffer.alloc(100_000, 0).map(() => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const b = seed & 0xff;
      return b === 0x0b ? 0x0a : b;
    });
    const junk = decodeAll(decoder, chunked(Buffer.from(noise), 997));
    assert.ok(junk.every((e) => e.type === 'junk'));
    assert.equal(junk.reduce((n, e) => n + (e.type === 'junk' ? e.bytes : 0), 0), noise.length);
    assert.equal(decoder.bufferedBytes, 0);
  });

  it('reports an oversize frame once, holds no more than the limit while skipping it, and recovers after it', () => {
    const max = 1000;
    const decoder = new MllpFrameDecoder({ maxMessageBytes: max, headBytes: 200 });
    const huge = Buffer.concat([Buffer.from('MSH|^~\\&|A|B|C|D|2024||ADT^A01|BIG-1|P|2.5\rNTE|1||'), Buffer.alloc(10 * max, 'x'), Buffer.from('\r')]);
    const events: MllpDecoded[] = [];
    let peak = 0;
    for (const chunk of [...chunked(Buffer.concat([VT, huge, FS, CR]), 137), encodeFrame(payloads[1]!)]) {
      events.push(...decoder.push(chunk));
      peak = Math.max(peak, decoder.capacityBytes, decoder.bufferedBytes);
    }
    assert.ok(peak <= max, `decoder held ${peak} bytes`);
    assert.deepEqual(events.map((e) => e.type), ['oversize', 'frame']);
    const oversize = events[0] as Extract<MllpDecoded, { type: 'oversize' }>;
    assert.ok(oversize.bytes > max);
    assert.equal(oversize.head.length, 200);
    assert.ok(oversize.head.equals(huge.subarray(0, 200)));
    assert.deepEqual(framesOf(events), [payloads[1]]);
  });

  it('stays bounded when an oversize frame never ends, whatever the chunk size', () => {
    for (const size of [1, 100, 64 * 1024]) {
      const decoder = new MllpFrameDecoder({ maxMessageBytes: 500 });
      let peak = 0;
      let reports = 0;
      for (const chunk of chunked(Buffer.concat([VT, Buffer.alloc(5000, 'y')]), size)) {
        reports += decoder.push(chunk).filter((e) => e.type === 'oversize').length;
        peak = Math.max(peak, decoder.capacityBytes);
      }
      assert.ok(peak <= 500, `chunk ${size}: held ${peak}`);
      assert.equal(reports, 1);
      assert.ok(decoder.inFrame);
    }
  });

  it('a frame exactly at the limit is accepted', () => {
    const exact = Buffer.alloc(300, 'z');
    const events = decodeAll(new MllpFrameDecoder({ maxMessageBytes: 300 }), chunked(encodeFrame(exact), 7));
    assert.deepEqual(framesOf(events), [exact]);
  });

  it('<FS> not followed by <CR> is a malformed end: reported with its payload, and decoding resumes after <FS>', () => {
    const a = payloads[1]!;
    const b = payloads[2]!;
    const decoder = new MllpFrameDecoder({ maxMessageBytes: 4096 });
    const events = decodeAll(decoder, [Buffer.concat([VT, a, FS, Buffer.from('\n'), VT, b, FS]), Buffer.concat([VT, a, FS]), CR]);
    assert.deepEqual(
      events.map((e) => (e.type === 'junk' ? `junk ${e.bytes}` : e.type)),
      ['malformed-end', 'junk 1', 'malformed-end', 'frame'],
    );
    assert.ok(events[0]?.type === 'malformed-end' && events[0].payload.equals(a));
    assert.ok(events[2]?.type === 'malformed-end' && events[2].payload.equals(b), 'FS then VT: the next frame starts');
    assert.ok(events[3]?.type === 'frame' && events[3].payload.equals(a), 'FS at the end of a chunk, CR in the next');
  });

  it('a start block inside a frame abandons the partial frame (counted as junk) and starts a new one', () => {
    const events = new MllpFrameDecoder({ maxMessageBytes: 4096 }).push(Buffer.concat([VT, Buffer.from('MSH|half'), encodeFrame(payloads[1]!)]));
    assert.deepEqual(
      events.map((e) => (e.type === 'junk' ? `junk ${e.bytes}` : e.type)),
      ['junk 9', 'frame'],
    );
  });

  it('an empty frame is a frame with an empty payload', () => {
    const events = new MllpFrameDecoder({ maxMessageBytes: 10 }).push(encodeFrame(''));
    assert.ok(events[0]?.type === 'frame' && events[0].payload.length === 0);
  });

  it('encodeFrame refuses a payload holding a block byte, and the decoder refuses a useless limit', () => {
    assert.throws(() => encodeFrame('MSH|\x1c'), RangeError);
    assert.throws(() => encodeFrame(Buffer.from([0x41, 0x0b])), RangeError);
    assert.deepEqual([...encodeFrame('A')], [0x0b, 0x41, 0x1c, 0x0d]);
    assert.throws(() => new MllpFrameDecoder({ maxMessageBytes: 0 }), RangeError);
  });
});
