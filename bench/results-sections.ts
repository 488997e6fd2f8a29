import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * bench/RESULTS.md holds the HTTP benchmark (written whole by run.ts) followed by one marked section per other
 * benchmark (access, audit verify). Each benchmark replaces only its own section, so they can run alone or together
 * and the file always says, per section, when and on which machine its figures were taken.
 */
const start = (name: string) => `<!-- bench-section:${name}:start -->`;
const end = (name: string) => `<!-- bench-section:${name}:end -->`;
const SECTION = /<!-- bench-section:([a-z0-9-]+):start -->[\s\S]*?<!-- bench-section:\1:end -->\n?/g;

/** The marked sections of an existing results file, to carry over when the head of the file is rewritten. */
export function markedSections(text: string): string {
  return [...text.matchAll(SECTION)].map((m) => m[0].endsWith('\n') ? m[0] : `${m[0]}\n`).join('\n');
}

export function upsertSection(file: string, name: string, markdown: string): void {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  const block = `${start(name)}\n${markdown.trim()}\n${end(name)}\n`;
  const pattern = new RegExp(`${start(name)}[\\s\\S]*?${end(name)}\\n?`);
  writeFileSync(file, pattern.test(text) ? text.replace(pattern, block) : `${text.trimEnd()}\n\n${block}`);
}

/** Writes the head of the results file and keeps every marked section that was already there. */
export function writeHead(file: string, head: string): void {
  const kept = existsSync(file) ? markedSections(readFileSync(file, 'utf8')) : '';
  writeFileSync(file, kept ? `${head.trimEnd()}\n\n${kept}` : head);
}
