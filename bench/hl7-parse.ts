/**
 * HL7 v2 parse throughput: Vigil's parser (src/adapters/hl7v2) against `Hl7Message.parse` of @medplum/core, the
 * fastest eager npm parser measured on this corpus (../shared/STACK.md), on the same messages in the same run.
 *
 * Vigil pays for everything the gateway needs: BOM/junk and framing checks, truncation checks, header facts, and
 * every field of every segment split into repetitions, components and subcomponents with escapes decoded (the parser
 * is lazy, so a run that read nothing would flatter it). Medplum splits into repetitions and components only and
 * decodes no escapes; we measure its parse alone, which is the figure the issue names (goal: Vigil ≥ 3×).
 *
 * Bounded: a short warm-up, then 6 interleaved rounds of ~1 s per compared case (plus 0.25 s for two informational ones), so drift from other load hits both alike.
 *   node --import tsx bench/hl7-parse.ts
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hl7Message as MedplumMessage } from '@medplum/core';
import { parseHl7Batch, parseHl7Message } from '../src/adapters/hl7v2/index.ts';
import { describeMachine, loadAverage } from './machine.ts';
import { upsertSection } from './results-sections.ts';

const CORPUS = fileURLToPath(new URL('../test/fixtures/hl7/', import.meta.url));
const ROUNDS = 6;
const ROUND_MS = 1000;
const HARD_LIMIT_MS = 30_000;

let chars = 0;
function count(_s: number, _f: number, _r: number, _c: number, _u: number, value: string): void {
  chars += value.length;
}

/** Parse, then every leaf value of every field, escapes decoded, in one pass. */
function vigil(texts: string[]): number {
  for (const text of texts) parseHl7Message(text).forEachValue(count);
  return chars;
}

/** Parse, then every field as nested arrays (repetitions → components → subcomponents): the convenient, slower way. */
function vigilTree(texts: string[]): number {
  let leaves = 0;
  for (const text of texts) {
    const m = parseHl7Message(text);
    for (const s of m.segments()) {
      for (let f = 1; f <= s.fieldCount; f++) {
        for (const rep of s.tree(f)) for (const comp of rep) leaves += comp.length;
      }
    }
  }
  return leaves;
}

/** Parse only: framing, checks and header facts; no field is read. */
function vigilParseOnly(texts: string[]): number {
  let n = 0;
  for (const text of texts) n += parseHl7Message(text).segmentCount;
  return n;
}

function medplum(texts: string[]): number {
  let segments = 0;
  for (const text of texts) segments += MedplumMessage.parse(text).segments.length;
  return segments;
}

/** Messages per second over as many whole passes as fit in `ms`. */
function measure(fn: (t: string[]) => number, texts: string[], ms: number): number {
  const start = performance.now();
  let passes = 0;
  let sink = 0;
  do {
    sink += fn(texts);
    passes++;
  } while (performance.now() - start < ms);
  if (sink < 0) console.log(sink);
  return (passes * texts.length) / ((performance.now() - start) / 1000);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const int = (n: number) => Math.round(n).toLocaleString('en-US');

function main(): void {
  const began = performance.now();
  const machine = describeMachine();
  const loadBefore = loadAverage();
  // Each message as its own text (batches split, BOM and junk removed), the form both parsers take.
  const all: string[] = [];
  const files = readdirSync(CORPUS).filter((f) => f.endsWith('.hl7')).sort();
  let refusedByVigil = 0;
  for (const f of files) {
    const r = parseHl7Batch(readFileSync(join(CORPUS, f)));
    refusedByVigil += r.rejected.length;
    for (const m of r.messages) all.push(m.toString());
  }
  const texts = all.filter((t) => {
    try {
      MedplumMessage.parse(t);
      return true;
    } catch {
      return false;
    }
  });
  const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t), 0);
  console.log(`hl7-parse bench: ${texts.length} messages (${(bytes / 1024).toFixed(0)} KiB) from ${files.length} files; ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}`);

  measure(vigil, texts, 500);
  measure(medplum, texts, 500);
  measure(vigilTree, texts, 300);
  measure(vigilParseOnly, texts, 300);
  const ours: number[] = [];
  const peer: number[] = [];
  const tree: number[] = [];
  const parseOnly: number[] = [];
  for (let r = 0; r < ROUNDS && performance.now() - began < HARD_LIMIT_MS - 4 * ROUND_MS; r++) {
    ours.push(measure(vigil, texts, ROUND_MS));
    peer.push(measure(medplum, texts, ROUND_MS));
    tree.push(measure(vigilTree, texts, ROUND_MS / 4));
    parseOnly.push(measure(vigilParseOnly, texts, ROUND_MS / 4));
    console.log(`  round ${r + 1}: vigil ${int(ours.at(-1)!)} msg/s, medplum ${int(peer.at(-1)!)} msg/s (vigil tree ${int(tree.at(-1)!)}, parse only ${int(parseOnly.at(-1)!)})`);
  }
  const v = median(ours);
  const p = median(peer);
  const vt = median(tree);
  const vp = median(parseOnly);
  const ratio = v / p;
  const avgBytes = bytes / texts.length;
  console.log(`vigil ${int(v)} msg/s (${((v * avgBytes) / 1024 ** 2).toFixed(1)} MiB/s), medplum ${int(p)} msg/s: ${ratio.toFixed(2)}× (goal ≥ 3×)`);

  const md = [
    '## HL7 v2 parse throughput against @medplum/core',
    '',
    `Written by \`node --import tsx bench/hl7-parse.ts\` on ${new Date().toISOString()} (${machine.cpuModel}, ${machine.cores} cores, ${machine.totalMemoryGiB} GiB, Node ${machine.node}, ${machine.os}, commit ${machine.commit}; 1-min load ${loadBefore} → ${loadAverage()}).`,
    '',
    `${texts.length} messages (${int(bytes / 1024)} KiB, ${int(avgBytes)} bytes on average) from the ${files.length} files of \`test/fixtures/hl7\` (byte-identical copies of \`../shared/corpus/hl7\`), each split out as its own text; ` +
      `left out of both: ${refusedByVigil} corpus messages Vigil rejects as broken (docs/hl7v2.md) and ${all.length - texts.length} that @medplum/core throws on. ` +
      `Median of ${ours.length} interleaved rounds of ${ROUND_MS / 1000} s each, after a warm-up.`,
    '',
    '| parser | work per message | messages/s | MiB/s |',
    '|---|---|---|---|',
    `| **Vigil \`parseHl7Message\` + \`forEachValue\`** | framing, BOM/junk, truncation and MSH checks, header facts; then every leaf (subcomponent) of every field of every segment as a string, escapes decoded | **${int(v)}** | ${((v * avgBytes) / 1024 ** 2).toFixed(1)} |`,
    `| Vigil, every field as \`segment.tree(n)\` | the same values built into nested arrays per field (information) | ${int(vt)} | ${((vt * avgBytes) / 1024 ** 2).toFixed(1)} |`,
    `| Vigil, parse only | framing and checks, header facts; no field read (information: the lazy floor) | ${int(vp)} | ${((vp * avgBytes) / 1024 ** 2).toFixed(1)} |`,
    `| @medplum/core ${installed('@medplum/core')} \`Hl7Message.parse\` (peer) | eager split into segments, fields, repetitions, components; no escapes, no checks | ${int(p)} | ${((p * avgBytes) / 1024 ** 2).toFixed(1)} |`,
    '',
    `**Vigil / medplum: ${ratio.toFixed(2)}×** (goal ≥ 3×: ${ratio >= 3 ? 'met' : 'not met'}); every field through nested arrays: ${(vt / p).toFixed(2)}×. Rounds: Vigil ${ours.map(int).join(', ')}; medplum ${peer.map(int).join(', ')}.`,
  ].join('\n');
  upsertSection(fileURLToPath(new URL('./RESULTS.md', import.meta.url)), 'hl7-parse', md);
  console.log('wrote bench/RESULTS.md section hl7-parse');
}

function installed(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(process.cwd(), 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '';
  }
}

main();
