import type { QualityFlag } from '../../model/quality.ts';
import { tidyNamePart } from '../hl7v2/map/names.ts';
import { flag } from './flags.ts';
import { objectsAt, type JsonObject } from './json.ts';

/** Which HumanName stands for the person: official, then usual, then one without a use; old and maiden names last. */
const USE_RANK: Record<string, number> = { official: 0, usual: 1, '': 2, nickname: 3, anonymous: 3, temp: 3, old: 4, maiden: 4 };

/** The HL7 mapper's normalization, so a name reads the same whichever feed sent it; JSON may hold a non-string. */
function tidy(value: unknown, changed: { whitespace: boolean; caps: boolean }): string {
  return typeof value === 'string' ? tidyNamePart(value, changed) : '';
}

/** Patient.name: the preferred HumanName's family and given names, flagged like PID-5 when they had to be tidied. */
export function nameOf(resource: JsonObject, base: string, flags: QualityFlag[]): { family?: string; given: string[] } {
  const names = objectsAt(resource, 'name');
  const rank = (n: JsonObject) => USE_RANK[typeof n['use'] === 'string' ? n['use'] : ''] ?? 3;
  const chosen = names.reduce<[JsonObject, number] | undefined>((best, n) => (best === undefined || rank(n[0]) < rank(best[0]) ? n : best), undefined);
  if (!chosen) return { given: [] };
  const [name, i] = chosen;
  const changed = { whitespace: false, caps: false };
  const family = tidy(name['family'], changed);
  const given = (Array.isArray(name['given']) ? name['given'] : []).map((g: unknown) => tidy(g, changed)).filter((g) => g !== '');
  if (changed.whitespace) flag(flags, 'name-whitespace-trimmed', `${base}.name[${i}]`);
  if (changed.caps) flag(flags, 'name-case-normalized', `${base}.name[${i}]`);
  return { ...(family ? { family } : {}), given };
}
