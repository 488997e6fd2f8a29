/**
 * Canary identities: made-up patients whose names, MRNs, birth dates and phone numbers exist nowhere else. Fixtures
 * send them through Vigil; if any of these strings shows up in what the test suite prints or in a log file, PHI has
 * leaked, and the run fails naming the test (see canary-guard.ts and scripts/run-tests.mjs).
 */
export interface Canary {
  label: string;
  value: string;
}

export const CANARY_PATIENT = {
  given: 'Zephyrine',
  family: 'Vantablack-Quorrin',
  mrn: 'MRN-CNRY-58213-QZ',
  birthDate: '1899-12-17',
  phone: '+1 555 014 7781',
  phoneDigits: '5550147781',
  email: 'zephyrine.vq@canary.invalid',
  address: '17 Quillfeather Lane',
} as const;

export const CANARY_PATIENT_2 = {
  given: 'Oswilda',
  family: 'Trenchmore-Ybarrola',
  mrn: 'MRN-CNRY-90417-TY',
  birthDate: '1903-02-11',
  phone: '+1 555 019 2264',
  phoneDigits: '5550192264',
} as const;

export const CANARIES: readonly Canary[] = [
  ...Object.entries(CANARY_PATIENT).map(([k, value]) => ({ label: `canary patient 1 ${k}`, value })),
  ...Object.entries(CANARY_PATIENT_2).map(([k, value]) => ({ label: `canary patient 2 ${k}`, value })),
];
