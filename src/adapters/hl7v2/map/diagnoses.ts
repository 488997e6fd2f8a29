import type { ConditionBody, FactInput } from '../../../model/clinical.ts';
import type { QualityFlag } from '../../../model/quality.ts';
import { conceptOf } from './codes.ts';
import type { MapContext } from './context.ts';
import { Hl7MappingError } from './errors.ts';
import type { KeyRegistry } from './keys.ts';
import { at, components, flag, text, where, type Located } from './segments.ts';
import { hl7Time } from './time.ts';

/**
 * DG1-6 diagnosis type (HL7 table 0052) as a verification status: an admitting or working diagnosis is provisional,
 * a final one confirmed. The condition's clinical status is then active (see core/clinical/fhir/clinical-status.ts).
 */
const DIAGNOSIS_TYPE: Record<string, string> = { A: 'provisional', W: 'provisional', F: 'confirmed' };

/** DG1-21 diagnosis action code (HL7 table 0206): D retracts the diagnosis. */
const ACTIONS = new Set(['A', 'D', 'U', 'X']);

/**
 * DG1: one encounter diagnosis, linked to the visit of the message (the gateway links the fact to the PV1's
 * encounter). DG1-20 (the sender's diagnosis id) is the key when sent; otherwise the visit, the type and the code,
 * so the admitting and the final diagnosis of a stay stay two statements, and a repeated A08 updates rather than adds.
 * A code in a system the profile does not know is kept in a source-local system and flagged `code-unmapped`.
 */
export function mapDg1(dg1: Located, ctx: MapContext, keys: KeyRegistry, visitKey: string | undefined): FactInput {
  const flags: QualityFlag[] = [];
  const parts = components(dg1.seg, 3);
  // DG1-4 (description) was the code's text before v2.5; read it when DG1-3 has none.
  if (!parts[1] && text(dg1.seg, 4)) parts[1] = text(dg1.seg, 4);
  const code = conceptOf(parts, ctx, at(dg1, 3), flags);
  if (!code) {
    throw Hl7MappingError.missing(where(dg1, 3), `${dg1.position}-3 (diagnosis code) and ${dg1.position}-4 (description) are both empty; a diagnosis without a code or text cannot be recorded.`);
  }
  const type = text(dg1.seg, 6, 1, 1).toUpperCase();
  let status = DIAGNOSIS_TYPE[type];
  if (!status) {
    flag(flags, 'status-unknown', at(dg1, 6));
    status = 'unknown';
  }
  const action = text(dg1.seg, 21, 1, 1).toUpperCase();
  if (action && !ACTIONS.has(action)) flag(flags, 'table-value-unknown', at(dg1, 21));
  if (action === 'D') status = 'entered-in-error';
  const body: ConditionBody = { category: 'encounter-diagnosis' };
  const time = hl7Time(text(dg1.seg, 5), ctx.profile, at(dg1, 5), flags);
  if (time) body.onset = time;
  const id = text(dg1.seg, 20, 1, 1);
  const first = code.codings[0];
  const what = first ? `${first.system}|${first.code}` : `text:${code.text!.toLowerCase()}`;
  const sourceKey = keys.unique(id ? `diagnosis:id:${id}` : `diagnosis:${visitKey ?? 'no-visit'}/${type || '-'}/${what}`);
  return { kind: 'condition', sourceKey, status, code, ...(time ? { effective: time } : {}), body, position: dg1.position, flags };
}
