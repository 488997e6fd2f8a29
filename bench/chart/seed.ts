import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { VigilConfig } from '../../src/config/settings.ts';
import { writeEncounter, writeFact, type FactTarget } from '../../src/core/clinical/fact-writer.ts';
import { resolveRecord } from '../../src/core/identity/resolve.ts';
import { SourceRegistry } from '../../src/gateway/sources.ts';
import type { Coding, EncounterInput, FactInput, FactKind } from '../../src/model/clinical.ts';
import type { ProvenanceRecord } from '../../src/model/provenance.ts';
import type { SourceTime } from '../../src/model/time.ts';
import type { Store, Tx } from '../../src/store/store.ts';
import { buildAccessFixture, MRN_SYSTEM, type FixturePerson } from '../../test/support/access-fixture.ts';

/**
 * One patient's chart of 5,000 facts, written the way the gateway writes them but without the gateway: sources are
 * registered with the source registry, the patient's record at each source is resolved by the master patient index
 * (same MRN as the access fixture's own-team patient, so every record links to that patient), encounters go through
 * `writeEncounter` and facts through `writeFact`, each version with its own provenance (message id, source time,
 * transform). Deterministic (a seeded generator), so every run reads the same chart.
 *
 * The mix, two years of a patient with a chronic illness and a few admissions:
 *   800 diagnostic reports with 3,000 observations (panels of 1 to 8 analytes; 15% sent preliminary then final, 2%
 *   also corrected; the newest still preliminary), 300 medication requests (most later completed or stopped),
 *   700 administrations of the inpatient orders, 45 dispenses, 50 medication statements, 5 allergies, 40 problems,
 *   60 documents; 40 encounters from the ADT feed (admission then discharge, one admission still open).
 */
export const FACT_MIX: Readonly<Record<FactKind, number>> = {
  observation: 3000,
  'diagnostic-report': 800,
  'medication-request': 300,
  'medication-administration': 700,
  'medication-dispense': 45,
  'medication-statement': 50,
  allergy: 5,
  condition: 40,
  document: 60,
};
export const ENCOUNTERS = 40;

export interface ChartSeed {
  physician: FixturePerson;
  patientId: string;
  /** Facts of the patient by kind, and their versions, as stored (read back after writing). */
  factsByKind: Record<string, number>;
  facts: number;
  versions: number;
  factsWithMoreThanOneVersion: number;
  /** Encounters of the patient, the access fixture's own one included. */
  encounters: number;
  writes: number;
  seedMs: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ZONE = 'America/New_York';
const LOINC = 'http://loinc.org';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const UCUM = 'http://unitsofmeasure.org';

/** mulberry32: small, fast and the same on every machine. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const time = (at: Date, precision: SourceTime['precision'] = 'minute'): SourceTime => ({ instant: at.toISOString(), zoneFrom: 'profile', zone: ZONE, precision });

interface Analyte {
  code: string;
  name: string;
  local: string;
  unit: string;
  low: number;
  high: number;
  decimals: number;
}

const analyte = (code: string, name: string, local: string, unit: string, low: number, high: number, decimals = 1): Analyte => ({ code, name, local, unit, low, high, decimals });

const PANELS: Record<string, { code: string; name: string; category: string; analytes: Analyte[] }> = {
  bmp: {
    code: '51990-0', name: 'Basic metabolic panel', category: 'CH', analytes: [
      analyte('2345-7', 'Glucose', 'GLU', 'mg/dL', 70, 99, 0), analyte('2951-2', 'Sodium', 'NA', 'mmol/L', 136, 145, 0),
      analyte('2823-3', 'Potassium', 'K', 'mmol/L', 3.5, 5.1), analyte('2075-0', 'Chloride', 'CL', 'mmol/L', 98, 107, 0),
      analyte('2028-9', 'Carbon dioxide', 'CO2', 'mmol/L', 22, 29, 0), analyte('3094-0', 'Urea nitrogen', 'BUN', 'mg/dL', 7, 20, 0),
      analyte('2160-0', 'Creatinine', 'CREA', 'mg/dL', 0.6, 1.2, 2), analyte('17861-6', 'Calcium', 'CA', 'mg/dL', 8.6, 10.3),
    ],
  },
  cbc: {
    code: '58410-2', name: 'Complete blood count', category: 'HM', analytes: [
      analyte('6690-2', 'Leukocytes', 'WBC', '10*3/uL', 4.5, 11), analyte('789-8', 'Erythrocytes', 'RBC', '10*6/uL', 4.2, 5.4, 2),
      analyte('718-7', 'Hemoglobin', 'HGB', 'g/dL', 12, 16), analyte('4544-3', 'Hematocrit', 'HCT', '%', 36, 46),
      analyte('777-3', 'Platelets', 'PLT', '10*3/uL', 150, 400, 0),
    ],
  },
  lipid: {
    code: '57698-3', name: 'Lipid panel', category: 'CH', analytes: [
      analyte('2093-3', 'Cholesterol', 'CHOL', 'mg/dL', 125, 200, 0), analyte('2571-8', 'Triglyceride', 'TRIG', 'mg/dL', 40, 150, 0),
      analyte('2085-9', 'HDL cholesterol', 'HDL', 'mg/dL', 40, 80, 0), analyte('13457-7', 'LDL cholesterol (calculated)', 'LDL', 'mg/dL', 50, 130, 0),
    ],
  },
  hepatic: {
    code: '24325-3', name: 'Hepatic function panel', category: 'CH', analytes: [
      analyte('1742-6', 'Alanine aminotransferase', 'ALT', 'U/L', 7, 56, 0), analyte('1920-8', 'Aspartate aminotransferase', 'AST', 'U/L', 10, 40, 0),
      analyte('6768-6', 'Alkaline phosphatase', 'ALP', 'U/L', 44, 147, 0), analyte('1975-2', 'Bilirubin total', 'TBIL', 'mg/dL', 0.1, 1.2),
      analyte('1751-7', 'Albumin', 'ALB', 'g/dL', 3.5, 5), analyte('2885-2', 'Protein total', 'TP', 'g/dL', 6, 8.3),
    ],
  },
};
const SINGLES: { code: string; name: string; category: string; analyte: Analyte }[] = [
  { code: '4548-4', name: 'Hemoglobin A1c', category: 'CH', analyte: analyte('4548-4', 'Hemoglobin A1c', 'A1C', '%', 4, 5.6) },
  { code: '3016-3', name: 'Thyrotropin', category: 'CH', analyte: analyte('3016-3', 'Thyrotropin', 'TSH', 'm[IU]/L', 0.4, 4) },
  { code: '6598-7', name: 'Troponin T', category: 'CH', analyte: analyte('6598-7', 'Troponin T', 'TNT', 'ug/L', 0, 0.01, 3) },
  { code: '6301-6', name: 'INR', category: 'HM', analyte: analyte('6301-6', 'INR', 'INR', '{INR}', 0.8, 1.1, 2) },
  { code: '1988-5', name: 'C reactive protein', category: 'CH', analyte: analyte('1988-5', 'C reactive protein', 'CRP', 'mg/L', 0, 10) },
  { code: '19123-9', name: 'Magnesium', category: 'CH', analyte: analyte('19123-9', 'Magnesium', 'MG', 'mg/dL', 1.7, 2.2) },
];
/** 16 reports of 60 results: 3.75 observations a report, so 50 rounds make exactly 800 reports and 3,000 results. */
const REPORT_ROUND = ['bmp', 'bmp', 'bmp', 'cbc', 'cbc', 'cbc', 'lipid', 'lipid', 'hepatic', 'single', 'single', 'single', 'single', 'single', 'single', 'single'];

const DRUGS = [
  { code: '860975', name: 'Metformin 500 MG Oral Tablet', dose: 500, unit: 'mg', route: 'PO', frequency: 'BID' },
  { code: '197361', name: 'Amlodipine 5 MG Oral Tablet', dose: 5, unit: 'mg', route: 'PO', frequency: 'QD' },
  { code: '314076', name: 'Lisinopril 10 MG Oral Tablet', dose: 10, unit: 'mg', route: 'PO', frequency: 'QD' },
  { code: '617314', name: 'Atorvastatin 10 MG Oral Tablet', dose: 10, unit: 'mg', route: 'PO', frequency: 'QHS' },
  { code: '197806', name: 'Ibuprofen 400 MG Oral Tablet', dose: 400, unit: 'mg', route: 'PO', frequency: 'Q6H PRN' },
  { code: '313782', name: 'Acetaminophen 325 MG Oral Tablet', dose: 650, unit: 'mg', route: 'PO', frequency: 'Q6H PRN' },
  { code: '1361615', name: 'Heparin sodium 5000 UNT/ML Injectable Solution', dose: 5000, unit: '[iU]', route: 'SC', frequency: 'Q8H' },
  { code: '1659149', name: 'Ceftriaxone 1000 MG Injection', dose: 1000, unit: 'mg', route: 'IV', frequency: 'Q24H' },
  { code: '313002', name: 'Sodium chloride 9 MG/ML Injectable Solution', dose: 1000, unit: 'mL', route: 'IV', frequency: 'CONT' },
  { code: '311036', name: 'Insulin lispro 100 UNT/ML Injectable Solution', dose: 6, unit: '[iU]', route: 'SC', frequency: 'AC' },
  { code: '198211', name: 'Simvastatin 40 MG Oral Tablet', dose: 40, unit: 'mg', route: 'PO', frequency: 'QHS' },
  { code: '310798', name: 'Hydrochlorothiazide 25 MG Oral Tablet', dose: 25, unit: 'mg', route: 'PO', frequency: 'QD' },
];
const ROUTES: Record<string, string> = { PO: 'Oral', SC: 'Subcutaneous', IV: 'Intravenous' };

const PROBLEMS = [
  ['E11.9', 'Type 2 diabetes mellitus without complications'], ['I10', 'Essential (primary) hypertension'], ['E78.5', 'Hyperlipidemia, unspecified'],
  ['N18.3', 'Chronic kidney disease, stage 3'], ['J18.9', 'Pneumonia, unspecified organism'], ['I48.91', 'Unspecified atrial fibrillation'],
  ['K21.9', 'Gastro-esophageal reflux disease without esophagitis'], ['M17.11', 'Unilateral primary osteoarthritis, right knee'],
  ['E03.9', 'Hypothyroidism, unspecified'], ['N39.0', 'Urinary tract infection, site not specified'],
] as const;
const ALLERGIES = [
  ['91936005', 'Allergy to penicillin', 'medication', 'high', 'Hives'], ['294505008', 'Allergy to sulfonamide', 'medication', 'low', 'Rash'],
  ['300913006', 'Shellfish allergy', 'food', 'high', 'Anaphylaxis'], ['232347008', 'Dander allergy', 'environment', 'low', 'Rhinitis'],
  ['293586001', 'Allergy to aspirin', 'medication', 'unable-to-assess', 'Wheezing'],
] as const;
const DOCUMENTS = [
  ['18842-5', 'Discharge summary'], ['11506-3', 'Progress note'], ['34117-2', 'History and physical note'],
  ['11488-4', 'Consult note'], ['18748-4', 'Diagnostic imaging study'],
] as const;

type SourceName = 'adt' | 'lab' | 'rx' | 'ehr';
const TRANSFORMS: Record<SourceName, string> = { adt: 'hl7v2/adt@1', lab: 'hl7v2/oru@1', rx: 'hl7v2/rde@1', ehr: 'fhir/bundle@1' };

/** One write of one version of one fact, as one message of a source would carry it. */
interface PlannedWrite {
  source: SourceName;
  at: Date;
  fact: FactInput;
  encounter: PlannedEncounter | null;
}

interface PlannedEncounter {
  key: string;
  cls: EncounterInput['class'];
  start: Date;
  end: Date | null;
  location: string;
  id?: string;
}

function planEncounters(random: () => number, now: number): PlannedEncounter[] {
  const out: PlannedEncounter[] = [];
  for (let i = 0; i < ENCOUNTERS; i++) {
    const last = i === ENCOUNTERS - 1;
    const cls: EncounterInput['class'] = last || i % 5 === 0 ? 'inpatient' : i % 10 === 3 ? 'emergency' : 'outpatient';
    // Oldest first, spread over two years; the last admission began two days ago and is still open.
    const start = last ? new Date(now - 2 * DAY) : new Date(now - 730 * DAY + i * (718 / ENCOUNTERS) * DAY + random() * 5 * DAY);
    const length = cls === 'inpatient' ? (2 + random() * 5) * DAY : cls === 'emergency' ? (4 + random() * 6) * HOUR : (0.5 + random()) * HOUR;
    out.push({ key: `V${1000 + i}`, cls, start, end: last ? null : new Date(start.getTime() + length), location: cls === 'inpatient' ? `North 4 West ${10 + (i % 20)}` : cls === 'emergency' ? 'North ED' : 'North Clinic B' });
  }
  return out;
}

function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

/** A result around the normal range: mostly inside, some high or low, as a sick patient's labs are. */
function resultValue(random: () => number, a: Analyte): { value: number; interpretation: string } {
  const span = a.high - a.low;
  const value = round(Math.max(0, a.low - 0.25 * span + random() * 1.5 * span), a.decimals);
  return { value, interpretation: value > a.high ? 'H' : value < a.low ? 'L' : 'N' };
}

function planFacts(random: () => number, now: number, encounters: PlannedEncounter[], sources: Record<SourceName, string>): PlannedWrite[] {
  const writes: PlannedWrite[] = [];
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const stays = encounters.filter((e) => e.cls !== 'outpatient');
  const inpatient = encounters.filter((e) => e.cls === 'inpatient');
  // A time inside a stay (linked to it), or anywhere in the two years (an outpatient draw, no encounter).
  const when = (inStay: boolean, pool = stays): { at: Date; encounter: PlannedEncounter | null } => {
    if (!inStay) return { at: new Date(now - 730 * DAY + random() * 729 * DAY), encounter: null };
    const e = pick(pool);
    const end = e.end?.getTime() ?? now - HOUR;
    return { at: new Date(e.start.getTime() + random() * (end - e.start.getTime())), encounter: e };
  };
  const local = (source: SourceName, table: string) => `urn:vigil:source:${sources[source]}:codes:${table}`;

  // Results: each report and its observations in one ORU message per version.
  let reportNumber = 0;
  for (let roundIndex = 0; roundIndex < FACT_MIX['diagnostic-report'] / REPORT_ROUND.length; roundIndex++) {
    for (const kind of REPORT_ROUND) {
      reportNumber++;
      const single = kind === 'single' ? pick(SINGLES) : undefined;
      const panel = single ? { code: single.code, name: single.name, category: single.category, analytes: [single.analyte] } : PANELS[kind]!;
      const { at, encounter } = when(random() < 0.35);
      const key = `filler:L${100000 + reportNumber}^LAB/${panel.code}`;
      const roll = random();
      const statuses: ('preliminary' | 'final' | 'corrected')[] =
        at.getTime() + 6 * HOUR > now ? ['preliminary'] : roll < 0.02 ? ['preliminary', 'final', 'corrected'] : roll < 0.17 ? ['preliminary', 'final'] : ['final'];
      const values = panel.analytes.map((a) => resultValue(random, a));
      const corrected = Math.floor(random() * panel.analytes.length);
      statuses.forEach((status, version) => {
        const sent = new Date(at.getTime() + (status === 'preliminary' ? 2 * HOUR : status === 'final' ? 6 * HOUR : 3 * DAY));
        writes.push({
          source: 'lab', at: sent, encounter,
          fact: {
            kind: 'diagnostic-report', sourceKey: key, status,
            code: { codings: [{ system: LOINC, code: panel.code, display: panel.name }], text: panel.name },
            effective: time(at),
            body: { fillerOrder: `L${100000 + reportNumber}^LAB`, placerOrder: `P${200000 + reportNumber}^EHR`, category: panel.category, issued: time(sent) },
            position: 'OBR[1]', flags: [],
          },
        });
        panel.analytes.forEach((a, i) => {
          const result = values[i]!;
          // A preliminary value differs a little from the verified one; a correction changes one result.
          const value = status === 'preliminary' ? round(result.value * 1.02, a.decimals) : status === 'corrected' && i === corrected ? round(result.value * 0.9, a.decimals) : result.value;
          const codings: Coding[] = [{ system: LOINC, code: a.code, display: a.name }, { system: local('lab', '99LAB'), code: a.local, display: a.name.toUpperCase() }];
          writes.push({
            source: 'lab', at: sent, encounter,
            fact: {
              kind: 'observation', sourceKey: `${key}/${a.code}/${i + 1}`,
              status: status === 'corrected' && i !== corrected ? 'final' : status,
              code: { codings, text: a.name }, effective: time(at),
              body: {
                value: { type: 'quantity', quantity: { value, unit: a.unit, system: UCUM, code: a.unit } },
                referenceRange: `${a.low}-${a.high}`, interpretation: result.interpretation, reportKey: key,
                ...(version > 0 && status === 'corrected' && i === corrected ? { note: 'Corrected result: specimen re-run.' } : {}),
              },
              position: `OBX[${i + 1}]`, flags: [],
            },
          });
        });
      });
    }
  }

  // Orders and what fulfilled them. The inpatient orders are given on the ward; the others are dispensed.
  const inpatientOrders: { key: string; at: Date; drug: (typeof DRUGS)[number]; encounter: PlannedEncounter }[] = [];
  const outpatientOrders: { key: string; at: Date; drug: (typeof DRUGS)[number] }[] = [];
  for (let n = 1; n <= FACT_MIX['medication-request']; n++) {
    const onWard = n <= 120;
    const { at, encounter } = when(onWard, inpatient);
    const drug = pick(DRUGS);
    const key = `filler:RX${300000 + n}^PHARM`;
    const route = { codings: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0162', code: drug.route, display: ROUTES[drug.route]! }] };
    const dosage = { text: `${drug.dose} ${drug.unit} ${drug.frequency}`, dose: { value: drug.dose, unit: drug.unit, system: UCUM, code: drug.unit }, route, frequency: drug.frequency };
    const request = (status: string, end?: Date): FactInput => ({
      kind: 'medication-request', sourceKey: key, status,
      code: { codings: [{ system: RXNORM, code: drug.code, display: drug.name }], text: drug.name }, effective: time(at),
      body: { dosage, period: { start: time(at), ...(end ? { end: time(end) } : {}) }, prescriber: `DR${1000 + (n % 37)}`, quantity: { value: 30, unit: 'TAB' } },
      position: 'RXE', flags: [],
    });
    writes.push({ source: 'rx', at, encounter, fact: request('active') });
    const roll = random();
    const ended = new Date(at.getTime() + (onWard ? 3 : 30) * DAY);
    if (ended.getTime() < now && roll < 0.65) writes.push({ source: 'rx', at: ended, encounter, fact: request('completed', ended) });
    else if (ended.getTime() < now && roll < 0.7) writes.push({ source: 'rx', at: ended, encounter, fact: request('stopped', ended) });
    if (onWard && encounter) inpatientOrders.push({ key, at, drug, encounter });
    else outpatientOrders.push({ key, at, drug });
  }
  for (let n = 0; n < FACT_MIX['medication-administration']; n++) {
    const order = inpatientOrders[n % inpatientOrders.length]!;
    const dose = Math.floor(n / inpatientOrders.length);
    const at = new Date(Math.min(order.at.getTime() + (dose + 1) * 8 * HOUR, now - HOUR));
    const administration = (status: string): FactInput => ({
      kind: 'medication-administration', sourceKey: `${order.key}/RXA/${dose + 1}`, status,
      code: { codings: [{ system: RXNORM, code: order.drug.code, display: order.drug.name }], text: order.drug.name }, effective: time(at),
      body: { dosage: { dose: { value: order.drug.dose, unit: order.drug.unit, system: UCUM, code: order.drug.unit } }, orderKey: order.key },
      position: 'RXA', flags: [],
    });
    writes.push({ source: 'rx', at, encounter: order.encounter, fact: administration('completed') });
    if (random() < 0.03) writes.push({ source: 'rx', at: new Date(at.getTime() + HOUR), encounter: order.encounter, fact: administration('entered-in-error') });
  }
  for (let n = 0; n < FACT_MIX['medication-dispense']; n++) {
    const order = outpatientOrders[n % outpatientOrders.length]!;
    const at = new Date(order.at.getTime() + 2 * HOUR);
    writes.push({
      source: 'rx', at, encounter: null,
      fact: {
        kind: 'medication-dispense', sourceKey: `${order.key}/RXD/1`, status: 'completed',
        code: { codings: [{ system: RXNORM, code: order.drug.code, display: order.drug.name }] }, effective: time(at),
        body: { orderKey: order.key, quantity: { value: 30, unit: 'TAB' }, dosage: { text: `${order.drug.dose} ${order.drug.unit} ${order.drug.frequency}` } },
        position: 'RXD', flags: [],
      },
    });
  }

  // What the EHR knows: home medications, allergies, the problem list and documents.
  const ehr = (at: Date, encounter: PlannedEncounter | null, fact: FactInput) => writes.push({ source: 'ehr', at, encounter, fact });
  for (let n = 1; n <= FACT_MIX['medication-statement']; n++) {
    const drug = pick(DRUGS.filter((d) => d.route === 'PO'));
    const { at } = when(false);
    const statement = (status: string): FactInput => ({
      kind: 'medication-statement', sourceKey: `MS-${n}`, status,
      code: { codings: [{ system: RXNORM, code: drug.code, display: drug.name }] }, effective: time(at, 'day'),
      body: { dosage: { text: `${drug.dose} ${drug.unit} ${drug.frequency}` } }, position: `MedicationStatement[${n}]`, flags: [],
    });
    ehr(at, null, statement('active'));
    if (random() < 0.2 && at.getTime() + 90 * DAY < now) ehr(new Date(at.getTime() + 90 * DAY), null, statement('completed'));
  }
  ALLERGIES.forEach(([code, display, category, criticality, reaction], i) => {
    const { at } = when(false);
    const allergy = (text: string): FactInput => ({
      kind: 'allergy', sourceKey: `AL-${i + 1}`, status: 'active',
      code: { codings: [{ system: 'http://snomed.info/sct', code, display }] }, effective: time(at, 'day'),
      body: { category, criticality, reaction: text }, position: `AllergyIntolerance[${i + 1}]`, flags: [],
    });
    ehr(at, null, allergy(reaction));
    if (i === 0) ehr(new Date(at.getTime() + 30 * DAY), null, allergy(`${reaction}, angioedema`));
  });
  for (let n = 1; n <= FACT_MIX.condition; n++) {
    const [code, display] = PROBLEMS[(n - 1) % PROBLEMS.length]!;
    const { at, encounter } = when(random() < 0.3);
    const condition = (status: string, abated?: Date): FactInput => ({
      kind: 'condition', sourceKey: `PRB-${n}`, status,
      code: { codings: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code, display }] }, effective: time(at, 'day'),
      body: { category: encounter ? 'encounter-diagnosis' : 'problem-list-item', onset: time(at, 'day'), ...(abated ? { abatement: time(abated, 'day') } : {}) },
      position: `Condition[${n}]`, flags: [],
    });
    ehr(at, encounter, condition('active'));
    const resolved = new Date(at.getTime() + 21 * DAY);
    if (random() < 0.25 && resolved.getTime() < now) ehr(resolved, encounter, condition('resolved', resolved));
  }
  for (let n = 1; n <= FACT_MIX.document; n++) {
    const [code, title] = DOCUMENTS[(n - 1) % DOCUMENTS.length]!;
    const { at, encounter } = when(random() < 0.6);
    const size = 2000 + Math.floor(random() * 30_000);
    const document = (bytes: number): FactInput => ({
      kind: 'document', sourceKey: `DOC-${n}`, status: 'current',
      code: { codings: [{ system: LOINC, code, display: title }] }, effective: time(at),
      body: { title, contentType: 'text/plain', size: bytes }, position: 'TXA', flags: [],
    });
    ehr(at, encounter, document(size));
    if (random() < 0.1) ehr(new Date(at.getTime() + 4 * HOUR), encounter, document(size + 512));
  }
  return writes.sort((a, b) => a.at.getTime() - b.at.getTime());
}

function provenance(sourceId: string, name: string, source: SourceName, sentAt: Date): ProvenanceRecord {
  return {
    derivation: 'asserted',
    sourceId,
    sourceName: name,
    messageId: uuidv7(),
    sourceTime: time(sentAt, 'second'),
    receivedAt: new Date(sentAt.getTime() + 1500).toISOString(),
    transform: `${TRANSFORMS[source]} profile 1`,
    confidence: 1,
    flags: [],
  };
}

/** Writes the fixture and the chart; `progress` is told a count now and then (never content). */
export async function seedChart(store: Store, config: VigilConfig, progress: (text: string) => void = () => undefined): Promise<ChartSeed> {
  const began = performance.now();
  const now = Date.now();
  const random = generator(20261126);
  const fixture = await buildAccessFixture(store, config, ['physician']);
  const physician = fixture.people.get('physician')!;
  const patient = fixture.patients['own-team'];
  const registry = new SourceRegistry();
  const profile = { timeZone: ZONE, identifiers: { systems: { NORTH: MRN_SYSTEM } }, facilityId: fixture.north };
  const names: Record<SourceName, string> = { adt: 'chart-bench-adt', lab: 'chart-bench-lab', rx: 'chart-bench-rx', ehr: 'chart-bench-ehr' };
  const sources = {} as Record<SourceName, string>;
  const records = {} as Record<SourceName, string>;
  await store.tx(async (trx) => {
    for (const source of Object.keys(names) as SourceName[]) {
      const added = await registry.add(trx, { name: names[source], kind: 'hl7v2', msh3: `CHARTBENCH${source.toUpperCase()}`, msh4: 'NORTH', profile }, { actorName: 'chart-bench' });
      sources[source] = added.id;
      const sentAt = new Date(now - 731 * DAY);
      const resolution = await resolveRecord(
        trx,
        {
          sourceId: added.id,
          recordKey: { system: MRN_SYSTEM, value: patient.mrn },
          // Made-up demographics: the record only has to link by its MRN.
          record: { identifiers: [{ system: MRN_SYSTEM, value: patient.mrn, authority: 'NORTH', type: 'MR' }], family: 'Chartbench', given: ['Pat'], birthDate: '1950-04-02', sex: 'female', flags: [] },
          sourceTime: sentAt,
          provenance: provenance(added.id, names[source], source, sentAt),
          messageId: null,
          actor: 'chart-bench',
          managingFacilityId: fixture.north,
          registering: source === 'adt',
        },
        null,
      );
      if (resolution.patientId !== patient.id) throw new Error(`the ${source} record linked to another patient than the fixture's own-team patient`);
      records[source] = resolution.recordId;
    }
  });
  const target = (source: SourceName, at: Date): Omit<FactTarget, 'encounterId' | 'encounterKey'> => ({
    sourceId: sources[source],
    recordId: records[source],
    patientId: patient.id,
    provenance: provenance(sources[source], names[source], source, at),
  });

  // Admission, then discharge: two accounts of each visit, the newer (by source time) wins.
  const encounters = planEncounters(random, now);
  let writes = 0;
  await store.tx(async (trx) => {
    for (const e of encounters) {
      const visit = (status: EncounterInput['status']): EncounterInput => ({
        sourceKey: e.key, status, class: e.cls, start: time(e.start), ...(status === 'finished' && e.end ? { end: time(e.end) } : {}), location: e.location, flags: [],
      });
      e.id = await writeEncounter(trx, { ...target('adt', e.start), facilityId: fixture.north }, visit(e.cls === 'inpatient' ? 'in-progress' : 'arrived'), e.start);
      writes++;
      if (e.end) {
        await writeEncounter(trx, { ...target('adt', e.end), facilityId: fixture.north }, visit('finished'), e.end);
        writes++;
      }
    }
  });

  const plan = planFacts(random, now, encounters, sources);
  const chunk = 500;
  for (let i = 0; i < plan.length; i += chunk) {
    await store.tx(async (trx: Tx) => {
      for (const w of plan.slice(i, i + chunk)) {
        const encounterId = w.encounter?.id ?? null;
        await writeFact(trx, { ...target(w.source, w.at), encounterId, encounterKey: w.encounter?.key ?? null }, w.fact, w.at);
        writes++;
      }
    });
    progress(`${Math.min(i + chunk, plan.length).toLocaleString('en-US')} of ${plan.length.toLocaleString('en-US')} fact versions written`);
  }

  const byKind = await sql<{ kind: string; facts: number; versions: number; multi: number }>`
    select f.kind, count(*)::int as facts, sum(v.n)::int as versions, count(*) filter (where v.n > 1)::int as multi
      from clinical_facts f cross join lateral (select count(*)::int as n from clinical_fact_versions v where v.fact_id = f.id) v
     where f.patient_id = ${patient.id}::uuid group by f.kind order by f.kind`.execute(store.db);
  const encounterCount = await sql<{ n: number }>`select count(*)::int as n from encounters where patient_id = ${patient.id}::uuid`.execute(store.db);
  const factsByKind = Object.fromEntries(byKind.rows.map((r) => [r.kind, r.facts]));
  for (const [kind, expected] of Object.entries(FACT_MIX)) {
    if (factsByKind[kind] !== expected) throw new Error(`seeded ${factsByKind[kind] ?? 0} facts of kind ${kind}, planned ${expected}`);
  }
  return {
    physician,
    patientId: patient.id,
    factsByKind,
    facts: byKind.rows.reduce((n, r) => n + r.facts, 0),
    versions: byKind.rows.reduce((n, r) => n + r.versions, 0),
    factsWithMoreThanOneVersion: byKind.rows.reduce((n, r) => n + r.multi, 0),
    encounters: encounterCount.rows[0]?.n ?? 0,
    writes,
    seedMs: performance.now() - began,
  };
}
