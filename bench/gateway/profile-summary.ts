/**
 * Where a profiled Vigil process spent its CPU: reads the V8 `.cpuprofile` files that `bench/gateway/run.ts --profile
 * DIR` collects and prints, per file, the share of samples by area of the code (self time), the functions with the
 * most self and inclusive time, and library and syscall time charged to the Vigil function that caused it. Idle time (the event loop waiting for the database or the network) is shown
 * apart, because a process that waits is not a process that is busy.
 *
 *   node --import tsx bench/gateway/profile-summary.ts DIR [--top 25]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import type { CpuProfile, ProfileNode } from '../support/cpu-profile.ts';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
const dir = positionals[0];
if (!dir) {
  console.log('usage: node --import tsx bench/gateway/profile-summary.ts DIR [--top 25]');
  process.exit(2);
}
const top = Number(values.top);

/** The part of the code a frame belongs to, coarse enough to read at a glance. */
function areaOf(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return `npm:${nm[1]}`;
  const src = /\/src\/([^/]+(?:\/[^/]+)?)\//.exec(url) ?? /\/src\/([^/]+)\//.exec(url);
  if (src) return `src/${src[1]}`;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  return url.replace(/^file:\/\//, '').split('/').slice(-2).join('/');
}

function short(url: string): string {
  return url.replace(/^file:\/\/.*?\/(src|node_modules)\//, '$1/').replace(/^file:\/\//, '');
}

function summarize(file: string): void {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) selfUs.set(p.samples[i]!, (selfUs.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  const totalUs = p.endTime - p.startTime;
  const idleUs = [...selfUs].filter(([id]) => byId.get(id)!.callFrame.functionName === '(idle)').reduce((s, [, us]) => s + us, 0);
  const busyUs = totalUs - idleUs;

  const areas = new Map<string, number>();
  const selfFn = new Map<string, number>();
  const inclusiveFn = new Map<string, number>();
  // Time in libraries and syscalls charged to the innermost Vigil function that called them ("who made the writev").
  const byVigilCaller = new Map<string, number>();
  const key = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!;
    if (n.callFrame.functionName === '(idle)') continue;
    const area = areaOf(n.callFrame.url, n.callFrame.functionName);
    areas.set(area, (areas.get(area) ?? 0) + us);
    selfFn.set(key(n), (selfFn.get(key(n)) ?? 0) + us);
    let owner = 'outside src/ (start-up, timers, GC roots)';
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      if (byId.get(cur)!.callFrame.url.includes('/src/')) {
        owner = key(byId.get(cur)!);
        break;
      }
    }
    byVigilCaller.set(owner, (byVigilCaller.get(owner) ?? 0) + us);
    // Inclusive: every distinct function on this sample's stack gets the time once (recursion counted once).
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = key(byId.get(cur)!);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusiveFn.set(k, (inclusiveFn.get(k) ?? 0) + us);
    }
  }
  const share = (us: number) => `${((us / busyUs) * 100).toFixed(1).padStart(5)}%`;
  const rows = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
  console.log(`\n== ${file}`);
  console.log(`wall ${(totalUs / 1e6).toFixed(1)} s, busy ${(busyUs / 1e6).toFixed(1)} s (${((busyUs / totalUs) * 100).toFixed(0)}%), idle ${(idleUs / 1e6).toFixed(1)} s; shares below are of busy time`);
  console.log('\nself time by area:');
  for (const [a, us] of rows(areas, 20)) console.log(`  ${share(us)}  ${a}`);
  console.log('\nself time by function:');
  for (const [f, us] of rows(selfFn, top)) console.log(`  ${share(us)}  ${f}`);
  console.log('\nself time charged to the innermost src/ function on the stack (libraries and syscalls included):');
  for (const [f, us] of rows(byVigilCaller, top)) console.log(`  ${share(us)}  ${f}`);
  console.log('\ninclusive time by function (src/ only):');
  for (const [f, us] of rows(new Map([...inclusiveFn].filter(([k]) => k.includes(' src/'))), top)) console.log(`  ${share(us)}  ${f}`);
}

// Each process has a folder; of its files (main thread, tsx's loader thread) the main thread's holds Vigil's frames.
for (const sub of readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
  const files = readdirSync(join(dir, sub)).filter((f) => f.endsWith('.cpuprofile'));
  const appFrames = (f: string) => (JSON.parse(readFileSync(f, 'utf8')) as CpuProfile).nodes.filter((n) => n.callFrame.url.includes('/src/')).length;
  const main = files.map((f) => join(dir, sub, f)).sort((a, b) => appFrames(b) - appFrames(a))[0];
  if (main) summarize(main);
}
