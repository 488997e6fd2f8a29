import type { QualityFlag, QualityFlagCode } from '../../model/quality.ts';

/** `at` is a FHIRPath with indices (`Bundle.entry[2].resource.birthDate`), never the value that was there. */
export function flag(flags: QualityFlag[], code: QualityFlagCode, at: string): void {
  flags.push({ code, at });
}
