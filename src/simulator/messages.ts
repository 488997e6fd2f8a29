import { FORMULARY_SYSTEM, ROUTE_TEXT, type Drug } from './formulary.ts';
import { comps, esc, localTime, message, msh, segment, type Header } from './hl7-text.ts';
import { LAB_CODE_SYSTEM, type Analyte, type Panel } from './lab-catalog.ts';
import type { SimPerson } from './people.ts';
import { HOSPITAL_AUTHORITY, PHARMACY_AUTHORITY } from './sources.ts';

/**
 * HL7 v2.5.1 text for each event the simulated hospital sends. Each feed shows a person its own way: the ADT system
 * may shout names in padded capitals, the lab knows people by nickname and cannot store hyphens, the pharmacy adds its
 * own patient number.
 */
export interface Visit {
  number: string;
  patientClass: 'I' | 'E' | 'O';
  location: string;
  attending: string;
  admitAt: number;
  dischargeAt?: number;
}

/** Which of the person's registrations a message names: their own, or the duplicate made by mistake. */
export interface Identity {
  person: SimPerson;
  mrn: string;
  given: string;
}

export const ownIdentity = (person: SimPerson): Identity => ({ person, mrn: person.mrn, given: person.given });

type Feed = 'adt' | 'lab' | 'pharmacy';

function nameField(id: Identity, feed: Feed): string {
  const p = id.person;
  if (feed === 'adt' && p.shouting) return comps(`${esc(p.family.toUpperCase())}  `, `${esc(id.given.toUpperCase())} `, esc(p.middle.toUpperCase()), '', '', '', 'L');
  if (feed === 'lab') return comps(esc(p.family.replaceAll('-', ' ')), esc(id.given === p.given ? p.labGiven : id.given));
  return comps(esc(p.family), esc(id.given), esc(p.middle), '', '', '', 'L');
}

function pid(id: Identity, feed: Feed, updated = false): string {
  const p = id.person;
  const mrn = comps(id.mrn, '', '', HOSPITAL_AUTHORITY, 'MR');
  const ids = feed === 'pharmacy' ? `${mrn}~${comps(`RX${id.mrn.slice(1)}`, '', '', PHARMACY_AUTHORITY, 'PI')}` : mrn;
  const withContact = feed === 'adt' && p.city !== '';
  // An update moves the person one door down the street: enough to be a real change of address.
  const street = updated ? p.street.replace(/^\d+/, (n) => String(Number(n) + 2)) : p.street;
  return segment('PID', {
    1: '1',
    3: ids,
    5: nameField(id, feed),
    7: p.birthDate,
    8: p.sex,
    11: withContact ? comps(esc(street), esc(p.unit), esc(p.city), 'MA', p.zip, 'USA', 'H') : undefined,
    13: withContact ? comps(p.phone, 'PRN', 'PH') : undefined,
  });
}

function pv1(v: Visit, zone: string, discharged: boolean): string {
  return segment('PV1', {
    1: '1',
    2: v.patientClass,
    3: v.location,
    7: v.attending,
    10: 'MED',
    19: comps(v.number, '', '', HOSPITAL_AUTHORITY, 'VN'),
    44: localTime(v.admitAt, zone),
    45: discharged && v.dischargeAt !== undefined ? localTime(v.dischargeAt, zone) : undefined,
  });
}

export type AdtEvent = 'A01' | 'A03' | 'A04' | 'A08';

export function adtText(h: Header, event: AdtEvent, id: Identity, visit: Visit, updated: boolean): string {
  return message([
    msh(h, `ADT^${event}^ADT_A01`),
    segment('EVN', { 1: event, 2: localTime(h.at, h.timeZone) }),
    pid(id, 'adt', updated),
    pv1(visit, h.timeZone, event === 'A03'),
  ]);
}

export function mergeText(h: Header, survivor: Identity, retiredMrn: string): string {
  return message([
    msh(h, 'ADT^A40^ADT_A39'),
    segment('EVN', { 1: 'A40', 2: localTime(h.at, h.timeZone) }),
    pid(survivor, 'adt'),
    segment('MRG', { 1: comps(retiredMrn, '', '', HOSPITAL_AUTHORITY, 'MR') }),
  ]);
}

export interface LabResult {
  analyte: Analyte;
  value: number;
  status: 'P' | 'F' | 'C';
  note?: string;
}

export interface LabOrder {
  placer: string;
  filler: string;
  panel: Panel;
  collectedAt: number;
  visit: Visit;
}

function flagOf(r: LabResult): string {
  return r.value < r.analyte.low ? 'L' : r.value > r.analyte.high ? 'H' : 'N';
}

export function oruText(h: Header, id: Identity, order: LabOrder, reportStatus: 'P' | 'F' | 'C', results: readonly LabResult[], resultedAt: number): string {
  const zone = h.timeZone;
  const observations = results.flatMap((r, i) => [
    segment('OBX', {
      1: String(i + 1),
      2: 'NM',
      3: comps(r.analyte.code, r.analyte.display, LAB_CODE_SYSTEM),
      5: r.value.toFixed(r.analyte.decimals),
      6: comps(r.analyte.unit, '', 'UCUM'),
      7: `${r.analyte.low}-${r.analyte.high}`,
      8: flagOf(r),
      11: r.status,
      14: localTime(order.collectedAt, zone, 'minute'),
    }),
    ...(r.note ? [segment('NTE', { 1: '1', 2: 'L', 3: esc(r.note) })] : []),
  ]);
  return message([
    msh(h, 'ORU^R01^ORU_R01'),
    pid(id, 'lab'),
    pv1(order.visit, zone, false),
    segment('ORC', { 1: 'RE', 2: order.placer, 3: order.filler, 5: reportStatus === 'P' ? 'IP' : 'CM' }),
    segment('OBR', {
      1: '1',
      2: order.placer,
      3: order.filler,
      4: comps(order.panel.code, order.panel.display, LAB_CODE_SYSTEM),
      7: localTime(order.collectedAt, zone),
      16: order.visit.attending,
      22: localTime(resultedAt, zone),
      24: 'LAB',
      25: reportStatus,
    }),
    ...observations,
  ]);
}

export interface MedOrder {
  placer: string;
  filler: string;
  drug: Drug;
  authoredAt: number;
  visit: Visit;
}

function drugCode(d: Drug): string {
  return d.rxnorm ? comps(d.code, d.display, FORMULARY_SYSTEM, d.rxnorm, d.display, 'RXNORM') : comps(d.code, d.display, FORMULARY_SYSTEM);
}

const route = (d: Drug) => segment('RXR', { 1: comps(d.route, ROUTE_TEXT[d.route], 'HL70162') });

export function rdeText(h: Header, id: Identity, order: MedOrder, control: 'NW' | 'DC'): string {
  const d = order.drug;
  const zone = h.timeZone;
  return message([
    msh(h, 'RDE^O11^RDE_O11'),
    pid(id, 'pharmacy'),
    pv1(order.visit, zone, false),
    segment('ORC', { 1: control, 2: order.placer, 3: order.filler, 5: control === 'NW' ? 'IP' : 'DC', 9: localTime(h.at, zone), 12: order.visit.attending.split('^')[0] }),
    // RXE-1 is the pre-2.5 timing field, still filled by many pharmacy systems beside TQ1.
    segment('RXE', {
      1: comps('', d.frequency, '', localTime(order.authoredAt, zone)),
      2: drugCode(d),
      3: String(d.dose),
      5: comps(d.unit, '', 'UCUM'),
      6: comps(d.form, '', 'HL70292'),
      10: '30',
      11: comps(d.form, '', 'HL70292'),
    }),
    segment('TQ1', { 1: '1', 3: d.frequency, 7: localTime(order.authoredAt, zone) }),
    route(d),
  ]);
}

export interface Dose {
  number: number;
  givenAt: number;
  /** RXA-20: CP given, RE refused. */
  completion: 'CP' | 'RE';
}

export function rasText(h: Header, id: Identity, order: MedOrder, dose: Dose): string {
  const d = order.drug;
  const zone = h.timeZone;
  return message([
    msh(h, 'RAS^O17^RAS_O17'),
    pid(id, 'pharmacy'),
    pv1(order.visit, zone, false),
    segment('ORC', { 1: 'RE', 2: order.placer, 3: order.filler }),
    segment('RXA', {
      1: '0',
      2: String(dose.number),
      3: localTime(dose.givenAt, zone),
      4: localTime(dose.givenAt, zone),
      5: drugCode(d),
      6: dose.completion === 'CP' ? String(d.dose) : '0',
      7: comps(d.unit, '', 'UCUM'),
      20: dose.completion,
    }),
    route(d),
  ]);
}
