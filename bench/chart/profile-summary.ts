/**
 * Reads the CPU profiles `node --cpu-prof` wrote for the chart bench's target and prints where the Vigil process spent
 * its time: self time by area (Vigil's own code by folder, each library, JSON, garbage collection, idle) and by
 * function. Function names and file positions only; profiles hold no data.
 *
 *   node --import tsx bench/chart/profile-summary.ts DIR
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { CpuProfile, ProfileNode } from '../support/cpu-profile.ts';

function areaOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName.startsWith('(')) return functionName;
    // Builtins called from JavaScript carry no URL: JSON.stringify shows as "stringify", JSON.parse as "parse".
    return functionName === 'stringify' || functionName === 'parse' ? `JSON.${functionName}` : `builtin ${functionName || '(anonymous)'}`;
  }
  const module = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (module) return module[1]!;
  const own = /\/(src|bench|test)\/(.*)\/[^/]+$/.exec(url);
  if (own) return `${own[1]}/${own[2]}`;
  if (url.startsWith('node:')) return 'node internals';
  return 'other';
}

function shortUrl(url: string): string {
  const own = /\/((?:src|bench|test)\/.*)$/.exec(url);
  if (own) return own[1]!;
  const module = /node_modules\/(.*)$/.exec(url);
  return module ? module[1]! : url;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  areas: [string, number][];
  functions: [string, number][];
}

export function summarizeProfile(file: string): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, spent] of self) {
    const frame = byId.get(id)!.callFrame;
    const area = areaOf(frame);
    areas.set(area, (areas.get(area) ?? 0) + spent);
    const name = `${frame.functionName || '(anonymous)'}${frame.url ? ` ${shortUrl(frame.url)}:${frame.lineNumber + 1}` : ''}`;
    functions.set(name, (functions.get(name) ?? 0) + spent);
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return { file, totalMs: (profile.endTime - profile.startTime) / 1000, areas: sorted(areas), functions: sorted(functions) };
}

/** Prints the summary of the largest profile in `dir` (the main thread; tsx's loader thread writes a small second one). */
export function printProfileSummary(dir: string, top = 30): void {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(dir, f));
  if (files.length === 0) {
    console.log(`no .cpuprofile in ${dir}`);
    return;
  }
  const main = files.sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
  const s = summarizeProfile(main);
  const busy = s.areas.filter(([area]) => area !== '(idle)').reduce((a, [, v]) => a + v, 0);
  console.log(`\nprofile ${main}: ${(s.totalMs / 1000).toFixed(1)} s recorded, ${(busy / 1000).toFixed(1)} s not idle`);
  console.log('  self time by area (share of the non-idle time):');
  for (const [area, spent] of s.areas.slice(0, 25)) console.log(`    ${(spent / 1000).toFixed(2).padStart(7)} s  ${area === '(idle)' ? '       ' : `${((100 * spent) / busy).toFixed(1).padStart(5)}% `} ${area}`);
  console.log(`  self time by function (top ${top}):`);
  for (const [name, spent] of s.functions.filter(([name]) => !name.startsWith('(idle)')).slice(0, top)) console.log(`    ${(spent / 1000).toFixed(2).padStart(7)} s  ${((100 * spent) / busy).toFixed(1).padStart(5)}%  ${name}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = process.argv[2];
  if (!dir) {
    console.log('usage: node --import tsx bench/chart/profile-summary.ts DIR');
    process.exitCode = 2;
  } else {
    printProfileSummary(dir);
  }
}
