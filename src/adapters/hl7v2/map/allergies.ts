import type { AllergyBody, Concept, FactInput } from '../../../model/clinical.ts';
import type { QualityFlag } from '../../../model/quality.ts';
import { conceptOf } from './codes.ts';
import type { MapContext } from './context.ts';
import { Hl7MappingError } from './errors.ts';
import type { KeyRegistry } from './keys.ts';
import { at, components, flag, repetitionCount, text, where, type Located } from './segments.ts';
import { hl7Time } from './time.ts';

/** Allergen type (HL7 table 0127): the category it belongs to. MA/MC (miscellaneous) name none. */
const ALLERGEN_CATEGORY: Record<string, AllergyBody['category'] | null> = {
  DA: 'medication', DI: 'medication', FA: 'food', FI: 'food', EA: 'environment', AA: 'environment', PA: 'environment', LA: 'environment',
  MA: null, MI: null, MC: null,
};

/**
 * Allergy severity (HL7 table 0128). Criticality follows the HL7 v2-to-FHIR concept map (severe → high, moderate and
 * mild → low, U → unable to assess); the grade itself is kept as the reaction's severity.
 */
const SEVERITY: Record<string, { severity?: AllergyBody['severity']; criticality: NonNullable<AllergyBody['criticality']> }> = {
  SV: { severity: 'severe', criticality: 'high' },
  MO: { severity: 'moderate', criticality: 'low' },
  MI: { severity: 'mild', criticality: 'low' },
  U: { criticality: 'unable-to-assess' },
};

/** IAM-6 allergy action code (HL7 table 0323): D removes the allergy from the list (recorded as entered in error). */
const IAM_ACTIONS = new Set(['A', 'D', 'U', 'X']);

/** IAM-17 allergy clinical status (HL7 table 0438). */
const IAM_STATUS: Record<string, string> = { U: 'unconfirmed', P: 'unconfirmed', S: 'unconfirmed', C: 'confirmed', I: 'inactive', E: 'entered-in-error' };

/** The table value of a coded field: its code (component 1), upper-cased. */
const tableCode = (seg: Located, field: number) => text(seg.seg, field, 1, 1).toUpperCase();

function allergen(loc: Located, ctx: MapContext, flags: QualityFlag[]): Concept {
  const code = conceptOf(components(loc.seg, 3), ctx, at(loc, 3), flags);
  if (!code || (code.codings.length === 0 && !code.text)) {
    // An allergy list missing an entry reads as "no such allergy": refuse rather than drop it.
    throw Hl7MappingError.missing(where(loc, 3), `${loc.position}-3 (allergen) is empty; an allergy without an allergen cannot be recorded, and leaving it out would show the patient without it. The source must send the allergen code or text.`);
  }
  return code;
}

/** The identity of an allergy at its source: the allergen's first coding, else its text. */
function allergenKey(code: Concept): string {
  const first = code.codings[0];
  return first ? `allergy:${first.system}|${first.code}` : `allergy:text:${code.text!.toLowerCase()}`;
}

/** AL1-2..6 and IAM-2..5 share their layout: type, allergen, severity, reactions. */
function allergyBody(loc: Located, flags: QualityFlag[]): AllergyBody {
  const body: AllergyBody = {};
  const type = tableCode(loc, 2);
  if (type) {
    const category = ALLERGEN_CATEGORY[type];
    if (category === undefined) flag(flags, 'table-value-unknown', at(loc, 2));
    else if (category) body.category = category;
  }
  const severityCode = tableCode(loc, 4);
  if (severityCode) {
    const known = SEVERITY[severityCode];
    // Never guessed: an unknown grade leaves criticality empty and says so.
    if (!known) flag(flags, 'table-value-unknown', at(loc, 4));
    else Object.assign(body, known);
  }
  const reactions: string[] = [];
  for (let rep = 1; rep <= repetitionCount(loc.seg, 5); rep++) {
    const parts = components(loc.seg, 5, rep);
    const reaction = parts[1] || parts[0];
    if (reaction) reactions.push(reaction);
  }
  if (reactions.length > 0) body.reaction = [...new Set(reactions)].join('; ');
  return body;
}

/** AL1: one allergy the patient has, as the source's current list states it (so its status is active). */
export function mapAl1(al1: Located, ctx: MapContext, keys: KeyRegistry): FactInput {
  const flags: QualityFlag[] = [];
  const code = allergen(al1, ctx, flags);
  const body = allergyBody(al1, flags);
  const effective = hl7Time(text(al1.seg, 6), ctx.profile, at(al1, 6), flags);
  return { kind: 'allergy', sourceKey: keys.unique(allergenKey(code)), status: 'active', code, ...(effective ? { effective } : {}), body, position: al1.position, flags };
}

/**
 * IAM (ADT^A60): one allergy with what to do with it. IAM-7 (the sender's allergy id) is the key when sent, so an
 * update that recodes the allergen still names the same allergy; D (delete) marks it entered in error, since the model
 * keeps every version and never forgets a fact.
 */
export function mapIam(iam: Located, ctx: MapContext, keys: KeyRegistry): FactInput {
  const flags: QualityFlag[] = [];
  const code = allergen(iam, ctx, flags);
  const body = allergyBody(iam, flags);
  const id = text(iam.seg, 7, 1, 1);
  const namespace = text(iam.seg, 7, 1, 2);
  const action = tableCode(iam, 6);
  if (action && !IAM_ACTIONS.has(action)) flag(flags, 'table-value-unknown', at(iam, 6));
  let status = 'active';
  const clinical = tableCode(iam, 17);
  if (clinical) {
    const known = IAM_STATUS[clinical];
    if (known) status = known;
    else flag(flags, 'status-unknown', at(iam, 17));
  }
  if (action === 'D') status = 'entered-in-error';
  const effective = hl7Time(text(iam.seg, 11), ctx.profile, at(iam, 11), flags) ?? hl7Time(text(iam.seg, 13), ctx.profile, at(iam, 13), flags);
  return {
    kind: 'allergy',
    sourceKey: keys.unique(id ? `allergy:id:${namespace ? `${id}^${namespace}` : id}` : allergenKey(code)),
    status,
    code,
    ...(effective ? { effective } : {}),
    body,
    position: iam.position,
    flags,
  };
}
