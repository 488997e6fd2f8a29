import type { Coding } from './clinical.ts';

/** FHIR's observation-category codes: how a chart groups results (labs apart from vitals apart from imaging). */
export const OBSERVATION_CATEGORIES = ['laboratory', 'vital-signs', 'imaging', 'procedure', 'therapy', 'exam', 'survey', 'social-history', 'activity'] as const;
export type ObservationCategory = (typeof OBSERVATION_CATEGORIES)[number];
export const OBSERVATION_CATEGORY_SYSTEM = 'http://terminology.hl7.org/CodeSystem/observation-category';

export function isObservationCategory(code: string): code is ObservationCategory {
  return (OBSERVATION_CATEGORIES as readonly string[]).includes(code);
}

// HL7 v2 table 0074 (diagnostic service section, OBR-24). Sections that could be more than one category
// (bedside ICU monitoring, nursing measures, "other") are left out: no category is better than a guessed one.
const SECTION_CATEGORY: Record<string, ObservationCategory> = {
  BG: 'laboratory', BLB: 'laboratory', CG: 'laboratory', CH: 'laboratory', CP: 'laboratory', GE: 'laboratory', HM: 'laboratory',
  IMM: 'laboratory', LAB: 'laboratory', MB: 'laboratory', MCB: 'laboratory', MYC: 'laboratory', OSL: 'laboratory', SP: 'laboratory',
  SR: 'laboratory', TX: 'laboratory', VR: 'laboratory',
  CT: 'imaging', CUS: 'imaging', NMR: 'imaging', NMS: 'imaging', OUS: 'imaging', RAD: 'imaging', RUS: 'imaging', RX: 'imaging',
  VUS: 'imaging', XRC: 'imaging',
  AU: 'procedure', CTH: 'procedure', EC: 'procedure', EN: 'procedure', PF: 'procedure',
  OT: 'therapy', PT: 'therapy', RC: 'therapy', RT: 'therapy',
};

// The LOINC codes of FHIR's vital signs profile: a vital sign is one whatever section of the sender it came from.
const VITAL_SIGN_LOINC = new Set([
  '85353-1', '9279-1', '8867-4', '2708-6', '59408-5', '8310-5', '8302-2', '9843-4', '29463-7', '39156-5', '85354-9', '8480-6', '8462-4', '8478-0',
]);
const LOINC = 'http://loinc.org';

/** The category of a result from its codes and the service section of its report; undefined when neither says. */
export function observationCategoryOf(codings: readonly Coding[], serviceSection: string | undefined): ObservationCategory | undefined {
  if (codings.some((c) => c.system === LOINC && VITAL_SIGN_LOINC.has(c.code))) return 'vital-signs';
  return serviceSection ? SECTION_CATEGORY[serviceSection.trim().toUpperCase()] : undefined;
}
