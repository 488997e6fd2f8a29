/**
 * The simulated pharmacy's formulary: local item codes (`SRX`, invented), with the RxNorm clinical drug as the
 * alternate coding where the pharmacy system carries it, and without it where it does not (as real formularies do).
 */
export const FORMULARY_SYSTEM = 'SRX';

export interface Drug {
  code: string;
  display: string;
  rxnorm?: string;
  dose: number;
  unit: string;
  route: 'PO' | 'IV' | 'SC';
  frequency: 'Q6H' | 'Q8H' | 'Q12H' | 'QD';
  form: string;
}

export const FORMULARY: readonly Drug[] = [
  { code: 'ACET325', display: 'Acetaminophen 325 MG Oral Tablet', rxnorm: '313782', dose: 650, unit: 'mg', route: 'PO', frequency: 'Q6H', form: 'TAB' },
  { code: 'AMLO5', display: 'Amlodipine 5 MG Oral Tablet', rxnorm: '197361', dose: 5, unit: 'mg', route: 'PO', frequency: 'QD', form: 'TAB' },
  { code: 'METF500', display: 'Metformin hydrochloride 500 MG Oral Tablet', rxnorm: '861007', dose: 500, unit: 'mg', route: 'PO', frequency: 'Q12H', form: 'TAB' },
  { code: 'LISI10', display: 'Lisinopril 10 MG Oral Tablet', rxnorm: '314076', dose: 10, unit: 'mg', route: 'PO', frequency: 'QD', form: 'TAB' },
  { code: 'HEPSQ5K', display: 'Heparin 5000 unit/mL injection', dose: 5000, unit: '[iU]', route: 'SC', frequency: 'Q8H', form: 'INJ' },
  { code: 'CEFTR1G', display: 'Ceftriaxone 1 g injection', dose: 1, unit: 'g', route: 'IV', frequency: 'QD', form: 'INJ' },
  { code: 'ONDAN4', display: 'Ondansetron 4 mg/2 mL injection', dose: 4, unit: 'mg', route: 'IV', frequency: 'Q8H', form: 'INJ' },
];

export const FREQUENCY_HOURS: Readonly<Record<Drug['frequency'], number>> = { Q6H: 6, Q8H: 8, Q12H: 12, QD: 24 };

export const ROUTE_TEXT: Readonly<Record<Drug['route'], string>> = { PO: 'Oral', IV: 'Intravenous', SC: 'Subcutaneous' };
