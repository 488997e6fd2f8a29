import { CANARY_PATIENT, CANARY_PATIENT_2 } from './canaries.ts';

/** Small HL7 v2.5.1 messages for gateway tests, about the canary patients (so any leak of their content is caught). */
export interface Person {
  mrn: string;
  family: string;
  given: string;
  birthDate: string;
  sex: 'F' | 'M';
  phone: string;
}

export const PERSON_1: Person = { mrn: CANARY_PATIENT.mrn, family: CANARY_PATIENT.family, given: CANARY_PATIENT.given, birthDate: CANARY_PATIENT.birthDate.replaceAll('-', ''), sex: 'F', phone: CANARY_PATIENT.phoneDigits };
export const PERSON_2: Person = { mrn: CANARY_PATIENT_2.mrn, family: CANARY_PATIENT_2.family, given: CANARY_PATIENT_2.given, birthDate: CANARY_PATIENT_2.birthDate.replaceAll('-', ''), sex: 'F', phone: CANARY_PATIENT_2.phoneDigits };

export interface Sender {
  app: string;
  facility: string;
}

export const NORTH: Sender = { app: 'NORTHADT', facility: 'NORTH' };
export const LAB: Sender = { app: 'NORTHLAB', facility: 'NORTH' };
export const PHARMACY: Sender = { app: 'NORTHRX', facility: 'NORTH' };

const msh = (s: Sender, time: string, type: string, control: string) => `MSH|^~\\&|${s.app}|${s.facility}|VIGIL|CENTRAL|${time}||${type}|${control}|P|2.5.1`;
const pid = (p: Person) => `PID|1||${p.mrn}^^^NORTH^MR||${p.family}^${p.given}||${p.birthDate}|${p.sex}|||1 Main St^^Springfield^^01101||${p.phone}`;

export function adt(s: Sender, event: 'A01' | 'A03' | 'A04' | 'A08' | 'A28' | 'A31', p: Person, control: string, time: string, visit = 'V100'): string {
  const pv1 = event === 'A28' || event === 'A31' ? '' : `\rPV1|1|I|WARD1^101^A||||||||||||||||${visit}|||||||||||||||||||||||||${time}${event === 'A03' ? `|${time}` : ''}`;
  return `${msh(s, time, `ADT^${event}^ADT_A01`, control)}\rEVN|${event}|${time}\r${pid(p)}${pv1}\r`;
}

export function merge(s: Sender, survivor: Person, retiredMrn: string, control: string, time: string): string {
  return `${msh(s, time, 'ADT^A40^ADT_A39', control)}\rEVN|A40|${time}\r${pid(survivor)}\rMRG|${retiredMrn}^^^NORTH^MR\r`;
}

/** ADT^A24 (link) or ADT^A37 (unlink) of two records of one source. */
export function linkPair(s: Sender, event: 'A24' | 'A37', first: Person, second: Person, control: string, time: string): string {
  return `${msh(s, time, `ADT^${event}^ADT_A24`, control)}\rEVN|${event}|${time}\r${pid(first)}\r${pid(second).replace('PID|1|', 'PID|2|')}\r`;
}

export interface ResultLine {
  code: string;
  name: string;
  value: string;
  unit: string;
  status: 'P' | 'F' | 'C';
}

export function oru(s: Sender, p: Person, control: string, time: string, order: string, results: ResultLine[], reportStatus: 'P' | 'F' | 'C' = 'F'): string {
  const obx = results.map((r, i) => `OBX|${i + 1}|NM|${r.code}^${r.name}^LN||${r.value}|${r.unit}^^UCUM|1-10|N|||${r.status}|||${time}`).join('\r');
  return `${msh(s, time, 'ORU^R01^ORU_R01', control)}\r${pid(p)}\rOBR|1|${order}|${order}F|24331-1^Lipid panel^LN|||${time}|||||||||||||||${time}|||${reportStatus}\r${obx}\r`;
}

/** The message with a PV1 after its PID naming visit `visit` (PV1-19): how a result or order names its visit. */
export function atVisit(text: string, visit: string): string {
  return text.replace(/(\rPID\|[^\r]*)/, `$1\rPV1|1|I|WARD1^101^A||||||||||||||||${visit}`);
}

export interface MedicationLine {
  /** The order number (ORC-2; the filler number is derived from it). */
  order: string;
  drug: { code: string; name: string };
  /** ORC-1: NW a new or continuing order, DC a discontinued one. */
  control?: 'NW' | 'DC';
}

/** RDE^O11 with one ORC/RXE pair per line: from an active-only pharmacy, the patient's whole active list. */
export function rde(s: Sender, p: Person, control: string, time: string, lines: MedicationLine[]): string {
  const orders = lines.map((l) => {
    const c = l.control ?? 'NW';
    return `ORC|${c}|${l.order}|${l.order}F||${c === 'NW' ? 'IP' : 'DC'}||||${time}\rRXE|^^^${time}|${l.drug.code}^${l.drug.name}^RXNORM|1||TAB^^UCUM`;
  });
  return `${msh(s, time, 'RDE^O11^RDE_O11', control)}\r${pid(p)}\r${orders.join('\r')}\r`;
}
