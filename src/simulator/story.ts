import type { DraftBook } from './draft.ts';
import { FORMULARY, FREQUENCY_HOURS } from './formulary.ts';
import type { Header } from './hl7-text.ts';
import { PANELS } from './lab-catalog.ts';
import { adtText, mergeText, oruText, ownIdentity, rasText, rdeText, type AdtEvent, type Identity, type LabOrder, type LabResult, type MedOrder, type Visit } from './messages.ts';
import { ATTENDING, WARDS } from './name-tables.ts';
import type { SimPerson } from './people.ts';
import type { SeededRandom } from './random.ts';
import { simulatorSource, type SimSourceName } from './sources.ts';

/**
 * One person's stay, told in the order things happen: registration, updates, discharge; lab results (preliminary,
 * final, sometimes corrected); pharmacy orders and the doses given. A person registered twice also gets the mistaken
 * registration and, days later, the merge. Only message times are decided here; delivery order is messed up later.
 */
export interface StoryContext {
  book: DraftBook;
  startMs: number;
  baseMs: number;
  lab: boolean;
  pharmacy: boolean;
  /** A number no other message of this plan (or, through the seed tag, of another seed) uses. */
  unique: (prefix: string) => string;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const minute = (ms: number) => Math.floor(ms / MINUTE) * MINUTE;

export function header(source: SimSourceName, controlId: string, at: number): Header {
  const s = simulatorSource(source);
  return { msh3: s.msh3, msh4: s.msh4, timeZone: s.timeZone, controlId, at };
}

function location(rng: SeededRandom, patientClass: Visit['patientClass']): string {
  if (patientClass === 'I') return `${rng.pick(WARDS)}^${rng.int(100, 499)}^${rng.pick(['A', 'B'])}^SIMHOSP`;
  if (patientClass === 'E') return `ED^BAY${rng.int(1, 24)}^^SIMHOSP`;
  return `CLINIC^${rng.int(1, 12)}^^SIMHOSP`;
}

function newVisit(rng: SeededRandom, ctx: StoryContext, patientClass: Visit['patientClass'], admitAt: number): Visit {
  return { number: ctx.unique('V'), patientClass, location: location(rng, patientClass), attending: rng.pick(ATTENDING), admitAt };
}

function stayLength(rng: SeededRandom, patientClass: Visit['patientClass']): number | undefined {
  if (patientClass === 'I') return rng.chance(0.6) ? rng.between(1 * DAY, 3 * DAY) : undefined;
  if (patientClass === 'E') return rng.chance(0.8) ? rng.between(2 * HOUR, 10 * HOUR) : undefined;
  return rng.chance(0.9) ? rng.between(30 * MINUTE, 3 * HOUR) : undefined;
}

function registration(rng: SeededRandom, ctx: StoryContext, id: Identity, visit: Visit, updates: number): void {
  const adt = (event: AdtEvent, at: number, updated: boolean) =>
    ctx.book.add({ source: 'sim-adt', kind: 'adt', event, at, personKey: id.person.key, mrn: id.mrn, render: (c, t) => adtText(header('sim-adt', c, t), event, id, visit, updated) });
  adt(visit.patientClass === 'I' ? 'A01' : 'A04', visit.admitAt, false);
  const until = Math.min(visit.dischargeAt ?? ctx.baseMs, ctx.baseMs) - 5 * MINUTE;
  for (let i = 0; i < updates; i++) {
    const at = minute(visit.admitAt + rng.between(1 * HOUR, 20 * HOUR));
    if (at < until) adt('A08', at, true);
  }
  if (visit.dischargeAt !== undefined) adt('A03', visit.dischargeAt, false);
}

function labValue(rng: SeededRandom, low: number, high: number, decimals: number): number {
  const v = Math.max(0, low + (high - low) * rng.between(-0.3, 1.3));
  return Number(v.toFixed(decimals));
}

function labOrder(rng: SeededRandom, ctx: StoryContext, id: Identity, visit: Visit, collectedAt: number, corrections: boolean): void {
  const panel = rng.pick(PANELS);
  const order: LabOrder = { placer: ctx.unique('ORD'), filler: ctx.unique('LAB'), panel, collectedAt, visit };
  const values = panel.analytes.map((a) => labValue(rng, a.low, a.high, a.decimals));
  const latest = ctx.baseMs - 5 * MINUTE;
  const prelimAt = minute(collectedAt + rng.between(30 * MINUTE, 90 * MINUTE));
  if (prelimAt > latest) return;
  const oru = (event: string, at: number, status: 'P' | 'F' | 'C', results: LabResult[]) =>
    ctx.book.add({ source: 'sim-lab', kind: 'oru', event, at, personKey: id.person.key, mrn: id.mrn, order: order.filler, render: (c, t) => oruText(header('sim-lab', c, t), id, order, status, results, at) });
  // A preliminary report carries the first analytes only, numbered as in the final one (OBX-1 names the observation).
  const shown = rng.int(1, panel.analytes.length);
  oru('ORU-P', prelimAt, 'P', panel.analytes.slice(0, shown).map((analyte, i) => ({ analyte, value: values[i]!, status: 'P' })));
  const finalAt = minute(prelimAt + rng.between(1 * HOUR, 4 * HOUR));
  if (finalAt > latest) return;
  const noted = rng.chance(0.15) ? rng.int(0, panel.analytes.length - 1) : -1;
  const final: LabResult[] = panel.analytes.map((analyte, i) => ({ analyte, value: values[i]!, status: 'F', ...(i === noted ? { note: 'Specimen slightly hemolyzed & recollected' } : {}) }));
  const finalDraft = oru('ORU-F', finalAt, 'F', final);
  const correctedAt = minute(finalAt + rng.between(6 * HOUR, 30 * HOUR));
  if (!corrections || !rng.chance(0.3) || correctedAt > latest) return;
  const fixed = rng.int(0, panel.analytes.length - 1);
  const analyte = panel.analytes[fixed]!;
  const corrected = final.map((r, i): LabResult => (i === fixed ? { analyte, value: labValue(rng, analyte.low, analyte.high, analyte.decimals), status: 'C', note: 'Corrected result: previous value reported in error' } : r));
  oru('ORU-C', correctedAt, 'C', corrected).after = finalDraft;
}

function labWork(rng: SeededRandom, ctx: StoryContext, id: Identity, visit: Visit, orders: number): void {
  const end = Math.min(visit.dischargeAt ?? ctx.baseMs, ctx.baseMs);
  for (let i = 0; i < orders; i++) {
    const span = Math.max(30 * MINUTE, (end - visit.admitAt) * 0.8);
    labOrder(rng, ctx, id, visit, minute(visit.admitAt + rng.between(20 * MINUTE, span)), true);
  }
}

function pharmacyWork(rng: SeededRandom, ctx: StoryContext, id: Identity, visit: Visit): void {
  const end = Math.min(visit.dischargeAt ?? ctx.baseMs, ctx.baseMs - 10 * MINUTE);
  for (const drug of rng.sample(FORMULARY, rng.int(1, 2))) {
    const authoredAt = minute(visit.admitAt + rng.between(1 * HOUR, 6 * HOUR));
    if (authoredAt > end - HOUR) continue;
    const order: MedOrder = { placer: ctx.unique('RXO'), filler: ctx.unique('RXF'), drug, authoredAt, visit };
    const add = (event: string, at: number, render: (c: string, t: number) => string) =>
      ctx.book.add({ source: 'sim-pharmacy', kind: event === 'RAS' ? 'ras' : 'rde', event, at, personKey: id.person.key, mrn: id.mrn, render });
    add('RDE-NW', authoredAt, (c, t) => rdeText(header('sim-pharmacy', c, t), id, order, 'NW'));
    let givenAt = minute(authoredAt + rng.between(30 * MINUTE, 2 * HOUR));
    for (let n = 1; n <= 4 && givenAt < end - 30 * MINUTE; n++) {
      const dose = { number: n, givenAt, completion: rng.chance(0.1) ? ('RE' as const) : ('CP' as const) };
      add('RAS', minute(givenAt + rng.between(5 * MINUTE, 40 * MINUTE)), (c, t) => rasText(header('sim-pharmacy', c, t), id, order, dose));
      givenAt = minute(givenAt + FREQUENCY_HOURS[drug.frequency] * HOUR);
    }
    if (visit.dischargeAt !== undefined && visit.dischargeAt > authoredAt + HOUR && rng.chance(0.5)) {
      add('RDE-DC', minute(visit.dischargeAt - rng.between(5 * MINUTE, 30 * MINUTE)), (c, t) => rdeText(header('sim-pharmacy', c, t), id, order, 'DC'));
    }
  }
}

/** The mistaken second registration (an ED visit under a new MRN, name misspelt), its lab work, and the late merge. */
function doubleRegistration(rng: SeededRandom, ctx: StoryContext, person: SimPerson, mainAdmitAt: number): void {
  const dup = person.duplicate!;
  const id: Identity = { person, mrn: dup.mrn, given: dup.given };
  const visit = newVisit(rng, ctx, 'E', minute(ctx.startMs + rng.between(0, 0.6 * DAY)));
  visit.dischargeAt = minute(visit.admitAt + rng.between(3 * HOUR, 8 * HOUR));
  registration(rng, ctx, id, visit, 0);
  if (ctx.lab) labOrder(rng, ctx, id, visit, minute(visit.admitAt + 40 * MINUTE), false);
  const last = ctx.book.drafts.filter((d) => d.mrn === dup.mrn).reduce((a, b) => (b.at > a.at ? b : a));
  const mergeAt = minute(Math.min(Math.max(visit.admitAt + rng.between(2 * DAY, 3 * DAY), mainAdmitAt + 2 * HOUR), ctx.baseMs - 10 * MINUTE));
  const survivor = ownIdentity(person);
  ctx.book.add({ source: 'sim-adt', kind: 'merge', event: 'A40', at: mergeAt, personKey: person.key, mrn: person.mrn, after: last, render: (c, t) => mergeText(header('sim-adt', c, t), survivor, dup.mrn) });
}

export function tellStory(rng: SeededRandom, ctx: StoryContext, person: SimPerson): void {
  const patientClass = person.known ? 'O' : rng.pick(['I', 'I', 'I', 'I', 'I', 'E', 'E', 'E', 'O', 'O'] as const);
  const visit = newVisit(rng, ctx, patientClass, minute(ctx.startMs + rng.between(0, 3.2 * DAY)));
  const stay = stayLength(rng, patientClass);
  if (stay !== undefined && visit.admitAt + stay < ctx.baseMs - 10 * MINUTE) visit.dischargeAt = minute(visit.admitAt + stay);
  const id = ownIdentity(person);
  registration(rng, ctx, id, visit, rng.int(0, 2));
  if (ctx.lab) labWork(rng, ctx, id, visit, person.known ? rng.int(0, 1) : rng.int(patientClass === 'O' ? 0 : 1, 3));
  if (ctx.pharmacy && (patientClass === 'I' || (patientClass === 'E' && rng.chance(0.3)))) pharmacyWork(rng, ctx, id, visit);
  if (person.duplicate) doubleRegistration(rng, ctx, person, visit.admitAt);
}
