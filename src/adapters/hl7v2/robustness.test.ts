import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Hl7ParseError, parseHl7Batch, parseHl7Message, type Hl7Message } from './index.ts';
import { seededRandom } from '../../../test/support/seeded-random.ts';

const CORPUS = join(import.meta.dirname, '../../../test/fixtures/hl7');

/** Every message of the corpus that parses, as its own text with a final terminator (HL7's own framing). */
function corpusMessages(): string[] {
  const out: string[] = [];
  for (const f of readdirSync(CORPUS).filter((x) => x.endsWith('.hl7')).sort()) {
    for (const m of parseHl7Batch(readFileSync(join(CORPUS, f))).messages) out.push(m.toString() + '\r');
  }
  return out;
}

const rng = seededRandom;

function touchAll(m: Hl7Message): void {
  for (const s of m.segments()) for (let f = 1; f <= s.fieldCount; f++) s.tree(f);
  m.get('PID-3[2].4.2');
  m.raw('OBX[3]-5[2]');
}

const messages = corpusMessages();

describe('HL7 v2 truncation over the corpus', () => {
  it('has corpus messages to cut', () => assert.ok(messages.length >= 160, String(messages.length)));

  it('cuts every message at 12 random byte positions: rejected, or parsed only on a segment boundary', (t) => {
    const random = rng(0x5eed);
    let rejected = 0;
    let boundary = 0;
    for (const text of messages) {
      const bytes = Buffer.from(text);
      const full = parseHl7Message(bytes, { requireTerminator: true });
      for (let i = 0; i < 12; i++) {
        const cut = 1 + Math.floor(random() * (bytes.length - 1));
        const prefix = bytes.subarray(0, cut);
        const last = prefix[prefix.length - 1];
        const onBoundary = last === 0x0d || last === 0x0a;
        // Strict (MLLP-like) framing: anything but a boundary cut must be refused.
        let strict: Hl7Message | undefined;
        try {
          strict = parseHl7Message(prefix, { requireTerminator: true });
        } catch (err) {
          assert.ok(err instanceof Hl7ParseError, `cut ${cut}: threw ${String(err)}`);
          rejected++;
        }
        if (strict) {
          assert.ok(onBoundary, `cut at ${cut} of ${bytes.length} inside a segment was accepted`);
          assert.ok(strict.finalSegmentTerminated);
          assert.deepEqual(strict.segmentIds(), full.segmentIds().slice(0, strict.segmentCount));
          assert.ok(strict.segmentCount < full.segmentCount);
          boundary++;
        }
        // Lenient (file-like) framing: either refused, or accepted and flagged as unterminated.
        try {
          const lenient = parseHl7Message(prefix);
          assert.equal(lenient.finalSegmentTerminated, onBoundary, `cut ${cut}: terminator flag`);
          if (!onBoundary) assert.ok(lenient.notes.some((n) => n.code === 'unterminated-final-segment'));
        } catch (err) {
          assert.ok(err instanceof Hl7ParseError, `cut ${cut}: threw ${String(err)}`);
        }
      }
    }
    assert.ok(rejected > boundary, `${rejected} rejected, ${boundary} on a boundary`);
    t.diagnostic(`truncation: ${messages.length} messages, ${rejected} cuts rejected, ${boundary} boundary cuts parsed`);
  });

  it('cuts a batch file: the message that was cut is rejected, the ones before it survive', () => {
    const file = readFileSync(join(CORPUS, 'mirth_simplesender_TestADT.hl7'), 'latin1');
    const cut = file.indexOf('\r', file.indexOf('MSH', 5000) + 10) - 3;
    const r = parseHl7Batch(file.slice(0, cut), { requireTerminator: true });
    assert.ok(r.messages.length >= 1);
    assert.equal(r.rejected.length, 1);
    assert.equal(r.rejected[0]!.error.kind, 'truncated');
    assert.equal(r.rejected[0]!.messageIndex, r.messages.length + 1);
  });
});

describe('HL7 v2 mutation fuzz', () => {
  it('never crashes or hangs on random byte flips, inserts and deletes (≤ 3 s)', (t) => {
    const random = rng(0xf022);
    const palette = Buffer.from('|^~\\&\r\nMSHPIDOBXBTSBHS0123456789X.br#');
    const deadline = performance.now() + 2500;
    let runs = 0;
    let refused = 0;
    let slowest = 0;
    while (performance.now() < deadline) {
      const base = Buffer.from(messages[Math.floor(random() * messages.length)]!);
      const bytes = [...base];
      const edits = 1 + Math.floor(random() * 8);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(random() * (bytes.length + 1));
        const byte = random() < 0.6 ? palette[Math.floor(random() * palette.length)]! : Math.floor(random() * 256);
        const op = random();
        if (op < 0.4) bytes[at] = byte;
        else if (op < 0.7) bytes.splice(at, 0, byte);
        else bytes.splice(at, 1);
      }
      const input = Uint8Array.from(bytes);
      const started = performance.now();
      for (const parse of [() => touchAll(parseHl7Message(input)), () => parseHl7Batch(input, { requireTerminator: true }).messages.forEach(touchAll)]) {
        try {
          parse();
        } catch (err) {
          assert.ok(err instanceof Hl7ParseError, `run ${runs}: threw ${String(err)}`);
          refused++;
        }
      }
      slowest = Math.max(slowest, performance.now() - started);
      runs++;
    }
    t.diagnostic(`fuzz: ${runs} mutated inputs, ${refused} refusals, slowest ${slowest.toFixed(1)} ms`);
    assert.ok(runs > 500, `only ${runs} runs`);
    assert.ok(refused > 0);
    assert.ok(slowest < 250, `slowest input took ${slowest.toFixed(1)} ms`);
  });
});
