/**
 * The simulated lab's test menu, in its own local codes (OBX-3.3 `SLC`). Most are mapped to LOINC by the lab's source
 * profile; a few deliberately are not, as in real interfaces, so unmapped codes show up flagged. LOINC codes are the
 * published ones for these analytes; the local codes are invented.
 */
export const LAB_CODE_SYSTEM = 'SLC';

export interface Analyte {
  code: string;
  display: string;
  loinc?: { code: string; display: string };
  unit: string;
  low: number;
  high: number;
  decimals: number;
}

export interface Panel {
  code: string;
  display: string;
  loinc?: { code: string; display: string };
  analytes: readonly Analyte[];
}

const a = (code: string, display: string, loinc: [string, string] | undefined, unit: string, low: number, high: number, decimals: number): Analyte => ({
  code,
  display,
  ...(loinc ? { loinc: { code: loinc[0], display: loinc[1] } } : {}),
  unit,
  low,
  high,
  decimals,
});

export const PANELS: readonly Panel[] = [
  {
    code: 'BMP',
    display: 'Basic metabolic panel',
    loinc: { code: '51990-0', display: 'Basic metabolic panel - Blood' },
    analytes: [
      a('GLU', 'Glucose', ['2345-7', 'Glucose [Mass/volume] in Serum or Plasma'], 'mg/dL', 70, 99, 0),
      a('NA', 'Sodium', ['2951-2', 'Sodium [Moles/volume] in Serum or Plasma'], 'mmol/L', 136, 145, 0),
      a('K', 'Potassium', ['2823-3', 'Potassium [Moles/volume] in Serum or Plasma'], 'mmol/L', 3.5, 5.1, 1),
      a('CL', 'Chloride', ['2075-0', 'Chloride [Moles/volume] in Serum or Plasma'], 'mmol/L', 98, 107, 0),
      a('BUN', 'Urea nitrogen', ['3094-0', 'Urea nitrogen [Mass/volume] in Serum or Plasma'], 'mg/dL', 7, 20, 0),
      a('CREA', 'Creatinine', ['2160-0', 'Creatinine [Mass/volume] in Serum or Plasma'], 'mg/dL', 0.6, 1.3, 2),
    ],
  },
  {
    code: 'CBC',
    display: 'Complete blood count',
    loinc: { code: '58410-2', display: 'CBC panel - Blood by Automated count' },
    analytes: [
      a('WBC', 'White blood cells', ['6690-2', 'Leukocytes [#/volume] in Blood by Automated count'], '10*3/uL', 4, 11, 1),
      a('HGB', 'Hemoglobin', ['718-7', 'Hemoglobin [Mass/volume] in Blood'], 'g/dL', 12, 17.5, 1),
      a('HCT', 'Hematocrit', ['4544-3', 'Hematocrit [Volume Fraction] of Blood by Automated count'], '%', 36, 50, 1),
      a('PLT', 'Platelets', ['777-3', 'Platelets [#/volume] in Blood by Automated count'], '10*3/uL', 150, 400, 0),
      a('MPV', 'Mean platelet volume', undefined, 'fL', 7.5, 11.5, 1),
    ],
  },
  {
    code: 'LIPID',
    display: 'Lipid panel',
    loinc: { code: '24331-1', display: 'Lipid 1996 panel - Serum or Plasma' },
    analytes: [
      a('CHOL', 'Cholesterol', ['2093-3', 'Cholesterol [Mass/volume] in Serum or Plasma'], 'mg/dL', 120, 199, 0),
      a('TRIG', 'Triglyceride', ['2571-8', 'Triglyceride [Mass/volume] in Serum or Plasma'], 'mg/dL', 40, 149, 0),
      a('HDL', 'HDL cholesterol', ['2085-9', 'Cholesterol in HDL [Mass/volume] in Serum or Plasma'], 'mg/dL', 40, 90, 0),
    ],
  },
  {
    code: 'TROP',
    display: 'Troponin I',
    analytes: [a('TROPI', 'Troponin I', ['10839-9', 'Troponin I.cardiac [Mass/volume] in Serum or Plasma'], 'ng/mL', 0, 0.04, 3)],
  },
  {
    code: 'LACT',
    display: 'Lactate',
    analytes: [a('LAC', 'Lactate', ['2524-7', 'Lactate [Moles/volume] in Serum or Plasma'], 'mmol/L', 0.5, 2.2, 1)],
  },
];

/** The profile's `codeMaps`, naming the source system as the lab writes it in OBX-3.3. */
export const LAB_CODE_MAPS = PANELS.flatMap((panel) => [
  ...(panel.loinc ? [{ code: panel.code, loinc: panel.loinc }] : []),
  ...panel.analytes.flatMap((x) => (x.loinc ? [{ code: x.code, loinc: x.loinc }] : [])),
]).map(({ code, loinc }) => ({ from: { system: LAB_CODE_SYSTEM, code }, to: { system: 'http://loinc.org', code: loinc.code, display: loinc.display } }));
