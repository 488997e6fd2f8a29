import type { CodeableConcept } from './types.ts';

interface StatusSystem {
  system: string;
  codes: readonly string[];
}

/**
 * Conditions and allergies keep one status, which is either a clinical status (active, resolved…) or a
 * verification status (confirmed, refuted, entered-in-error). R4 wants a clinical status unless the record was
 * entered in error (ait-1, con-5), so a verification-only status gets a clinical status that says what it implies,
 * and a status Vigil does not know is passed on as text rather than guessed.
 */
export function clinicalAndVerification(status: string, clinical: StatusSystem, verification: StatusSystem): { clinicalStatus?: CodeableConcept; verificationStatus?: CodeableConcept } {
  const code = (system: StatusSystem, value: string): CodeableConcept => ({ coding: [{ system: system.system, code: value }] });
  if (clinical.codes.includes(status)) return { clinicalStatus: code(clinical, status) };
  if (status === 'entered-in-error') return { verificationStatus: code(verification, status) };
  if (verification.codes.includes(status)) return { clinicalStatus: code(clinical, status === 'refuted' ? inactiveOf(clinical) : 'active'), verificationStatus: code(verification, status) };
  return { clinicalStatus: { text: status } };
}

function inactiveOf(clinical: StatusSystem): string {
  return clinical.codes.includes('inactive') ? 'inactive' : clinical.codes[clinical.codes.length - 1]!;
}
