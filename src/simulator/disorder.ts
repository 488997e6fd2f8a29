import type { Draft } from './draft.ts';
import type { SeededRandom } from './random.ts';

/**
 * What interfaces do to the order of messages: a feed that goes down and flushes its backlog, results that overtake
 * the registration they belong to, an update that overtakes the admission, a final report that overtakes the
 * preliminary one. Only delivery order changes (and, for the backlog, MSH-7); what each message says stays true.
 */
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** How long the lab feed is down in message time; its messages from then are sent in one burst afterwards. */
export const LAB_OUTAGE_MS = 4 * HOUR;

/** At least one, else about a tenth. */
const some = (n: number) => (n === 0 ? 0 : Math.max(1, Math.round(n / 10)));

export function labOutage(rng: SeededRandom, drafts: readonly Draft[], baseMs: number): void {
  const lab = drafts.filter((d) => d.source === 'sim-lab').sort((a, b) => a.at - b.at || a.seq - b.seq);
  const startable = lab.filter((d) => d.at < baseMs - LAB_OUTAGE_MS - HOUR);
  if (startable.length === 0) return;
  const start = startable[rng.int(Math.floor(startable.length / 3), Math.floor((startable.length * 2) / 3))]!.at - MINUTE;
  const end = start + LAB_OUTAGE_MS;
  lab.filter((d) => d.at >= start && d.at < end).forEach((d, i) => {
    d.at = end + i * 20_000;
    d.deliverAt = d.at;
  });
}

function firstOf(drafts: readonly Draft[], pick: (d: Draft) => boolean): Draft | undefined {
  return drafts.filter(pick).sort((a, b) => a.deliverAt - b.deliverAt || a.seq - b.seq)[0];
}

/** Drafts of each person under their own MRN: a mistaken registration's messages are never moved (the merge needs them first). */
function byPerson(drafts: readonly Draft[], ownMrn: ReadonlyMap<string, string>): Draft[][] {
  const groups = new Map<string, Draft[]>();
  for (const d of drafts) {
    if (ownMrn.get(d.personKey) !== d.mrn) continue;
    const list = groups.get(d.personKey) ?? [];
    list.push(d);
    groups.set(d.personKey, list);
  }
  return [...groups.values()];
}

export function disorder(rng: SeededRandom, drafts: readonly Draft[], ownMrn: ReadonlyMap<string, string>): void {
  const people = byPerson(drafts, ownMrn);
  const registrationOf = (mine: readonly Draft[]) => firstOf(mine, (d) => d.event === 'A01' || d.event === 'A04');

  const updated = people.filter((mine) => mine.some((d) => d.event === 'A08') && registrationOf(mine));
  for (const mine of rng.sample(updated, some(updated.length))) {
    const update = firstOf(mine, (d) => d.event === 'A08')!;
    update.deliverAt = registrationOf(mine)!.deliverAt - rng.int(1, 20) * MINUTE;
  }

  const tested = people.filter((mine) => mine.some((d) => d.kind === 'oru'));
  const early = new Set<string>();
  for (const mine of rng.sample(tested, some(tested.length))) {
    const result = firstOf(mine, (d) => d.kind === 'oru')!;
    const firstAdt = firstOf(mine, (d) => d.kind === 'adt')!;
    result.deliverAt = firstAdt.deliverAt - rng.int(1, 30) * MINUTE;
    early.add(result.order!);
  }

  const reports = people.flatMap((mine) => [...new Set(mine.filter((d) => d.kind === 'oru' && !early.has(d.order!)).map((d) => d.order!))].map((order) => mine.filter((d) => d.order === order)));
  const complete = reports.filter((versions) => versions.some((d) => d.event === 'ORU-P') && versions.some((d) => d.event === 'ORU-F'));
  for (const versions of rng.sample(complete, some(complete.length))) {
    const prelim = versions.find((d) => d.event === 'ORU-P')!;
    const final = versions.find((d) => d.event === 'ORU-F')!;
    [prelim.deliverAt, final.deliverAt] = [final.deliverAt, prelim.deliverAt];
  }
}
