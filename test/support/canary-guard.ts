/**
 * Loaded into every test process (node --import). It watches everything the process writes to stdout and stderr,
 * including pino's direct fd writes, for canary values. A hit is masked (same length, so the test runner's framing
 * stays valid), and recorded with the file and the test that was running, for scripts/run-tests.mjs to fail the run.
 */
import fs from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { beforeEach } from 'node:test';
import { CANARIES } from './canaries.ts';

const outDir = resolve(process.env.VIGIL_TEST_OUTPUT ?? 'test-output');
const violationsFile = join(outDir, 'canary-violations.ndjson');
const testFile = relative(process.cwd(), process.argv[1] ?? 'unknown');
let currentTest = '(outside any test)';

beforeEach((t) => {
  currentTest = (t as { fullName?: string }).fullName ?? t.name;
});

const originalWriteSync = fs.writeSync;
const lower = CANARIES.map((c) => ({ ...c, needle: c.value.toLowerCase() }));

function scan(text: string, stream: string): string {
  const haystack = text.toLowerCase();
  let out = text;
  for (const canary of lower) {
    let at = haystack.indexOf(canary.needle);
    if (at < 0) continue;
    fs.mkdirSync(outDir, { recursive: true });
    const record = JSON.stringify({ file: testFile, test: currentTest, canary: canary.label, stream }) + '\n';
    fs.appendFileSync(violationsFile, record);
    while (at >= 0) {
      out = out.slice(0, at) + '#'.repeat(canary.needle.length) + out.slice(at + canary.needle.length);
      at = haystack.indexOf(canary.needle, at + 1);
    }
  }
  return out;
}

function asText(chunk: unknown): string | undefined {
  if (typeof chunk === 'string') return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1');
  return undefined;
}

function guardStream(stream: NodeJS.WriteStream, name: string): void {
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    const text = asText(chunk);
    if (text === undefined) return write(chunk, ...rest);
    const cleaned = scan(text, name);
    if (cleaned === text) return write(chunk, ...rest);
    return write(typeof chunk === 'string' ? cleaned : Buffer.from(cleaned, 'latin1'), ...rest);
  }) as typeof stream.write;
}

guardStream(process.stdout, 'stdout');
guardStream(process.stderr, 'stderr');

// pino (through sonic-boom) writes to fd 1 and 2 with fs.writeSync, past process.stdout.
fs.writeSync = function guardedWriteSync(fd: number, data: unknown, ...rest: unknown[]): number {
  if (fd === 1 || fd === 2) {
    const text = asText(data);
    if (text !== undefined) {
      const cleaned = scan(text, fd === 1 ? 'stdout' : 'stderr');
      if (cleaned !== text) {
        return (originalWriteSync as (...a: unknown[]) => number)(fd, typeof data === 'string' ? cleaned : Buffer.from(cleaned, 'latin1'), ...rest);
      }
    }
  }
  return (originalWriteSync as (...a: unknown[]) => number)(fd, data, ...rest);
} as typeof fs.writeSync;
