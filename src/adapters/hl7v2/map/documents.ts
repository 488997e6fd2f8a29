import type { DocumentBody, FactInput, PatientGroup } from '../../../model/clinical.ts';
import type { QualityFlag } from '../../../model/quality.ts';
import { confidentialityLabels } from '../../confidentiality.ts';
import { conceptOf } from './codes.ts';
import type { EventInput, EventOutput, MapContext } from './context.ts';
import { describeContent, encapsulated, hasEncapsulatedData, textContent, textOf, TEXT_VALUE_TYPES, valueType } from './document-content.ts';
import { Hl7MappingError } from './errors.ts';
import { patientGroup, requirePatients } from './group.ts';
import type { KeyRegistry } from './keys.ts';
import { at, components, flag, patientGroups, text, where, type Located } from './segments.ts';
import { hl7Time } from './time.ts';

/** TXA-17 document completion status (HL7 table 0271): only authenticated documents are final. */
const COMPLETION: Record<string, NonNullable<DocumentBody['docStatus']>> = {
  DI: 'preliminary', DO: 'preliminary', IP: 'preliminary', IN: 'preliminary', PA: 'preliminary', AU: 'final', LA: 'final',
};

/** TXA-19 document availability status (HL7 table 0273) as DocumentReference.status. */
const AVAILABILITY: Record<string, string> = { AV: 'current', UN: 'current', CA: 'entered-in-error', OB: 'superseded' };

/** HL7 table 0270 document types, as titles for senders that send only the code. */
const DOCUMENT_TYPE: Record<string, string> = {
  AR: 'Autopsy report', CD: 'Cardiodiagnostics', CN: 'Consultation', DI: 'Diagnostic imaging', DS: 'Discharge summary', ED: 'Emergency department report',
  HP: 'History and physical examination', OP: 'Operative report', PC: 'Psychiatric consultation', PH: 'Psychiatric history', PN: 'Procedure note',
  PR: 'Progress note', SP: 'Surgical pathology', TS: 'Transfer summary',
};

/** EI (TXA-12, TXA-13): entity id, with its namespace when sent. */
function entity(loc: Located, field: number): string {
  const id = text(loc.seg, field, 1, 1);
  const namespace = text(loc.seg, field, 1, 2);
  return id && namespace ? `${id}^${namespace}` : id;
}

const documentKey = (id: string) => `document:${id}`;

function mapTxa(txa: Located, event: string, ctx: MapContext, keys: KeyRegistry, flags: QualityFlag[]): FactInput {
  const id = entity(txa, 12);
  if (!id) {
    throw Hl7MappingError.missing(where(txa, 12), `${txa.position}-12 (unique document number) is empty; without it later edits, addenda and cancellations could not be matched to this document.`);
  }
  const trigger = event.split('^')[1]!;
  const body: DocumentBody = {};
  const completion = text(txa.seg, 17).toUpperCase();
  const docStatus = COMPLETION[completion];
  if (docStatus) body.docStatus = trigger === 'T08' && docStatus === 'final' ? 'amended' : docStatus;
  else flag(flags, completion ? 'table-value-unknown' : 'status-unknown', at(txa, 17));
  const availability = text(txa.seg, 19).toUpperCase();
  let status = 'current';
  if (availability) {
    const known = AVAILABILITY[availability];
    if (known) status = known;
    else flag(flags, 'table-value-unknown', at(txa, 19));
  }
  if (trigger === 'T11') status = 'entered-in-error';
  if (status === 'entered-in-error') body.docStatus = 'entered-in-error';
  const parent = entity(txa, 13);
  if (parent) body.relatesTo = { code: trigger === 'T10' ? 'replaces' : 'appends', sourceKey: documentKey(parent) };
  const typeParts = components(txa.seg, 2);
  const code = conceptOf(typeParts, ctx, at(txa, 2), flags, 'HL70270');
  const title = typeParts[1] || DOCUMENT_TYPE[(typeParts[0] ?? '').toUpperCase()];
  if (title) body.title = title;
  const authenticated = hl7Time(components(txa.seg, 22)[14] ?? '', ctx.profile, at(txa, 22), flags);
  if (authenticated) body.authenticated = authenticated;
  const effective = hl7Time(text(txa.seg, 4), ctx.profile, at(txa, 4), flags) ?? hl7Time(text(txa.seg, 6), ctx.profile, at(txa, 6), flags);
  const labels = documentLabels(txa, ctx, flags);
  return {
    kind: 'document',
    sourceKey: keys.unique(documentKey(id)),
    status,
    ...(code ? { code } : {}),
    ...(effective ? { effective } : {}),
    body,
    position: txa.position,
    flags,
    ...(labels.length > 0 ? { securityLabels: labels } : {}),
  };
}

/** TXA-18 (document confidentiality status) as the security labels the document carries; an unknown code is flagged. */
function documentLabels(txa: Located, ctx: MapContext, flags: QualityFlag[]): string[] {
  const { labels, unknown } = confidentialityLabels(text(txa.seg, 18), ctx.profile.documentConfidentiality);
  if (unknown) flag(flags, 'table-value-unknown', at(txa, 18));
  return labels;
}

/**
 * The OBX after a TXA are its content: text lines (TX, FT, ST) in order, or one ED (an encapsulated file). Any other
 * OBX, a second ED, an ED without data, or text beside an ED is not content Vigil can store: flagged on the document.
 */
function attachContent(doc: FactInput, obxs: readonly Located[]): void {
  if (doc.status === 'entered-in-error') {
    for (const obx of obxs) flag(doc.flags, 'segment-ignored', obx.position);
    return;
  }
  const ed = obxs.find((o) => valueType(o) === 'ED' && hasEncapsulatedData(o));
  const lines: string[] = [];
  for (const obx of obxs) {
    const type = valueType(obx);
    if (obx === ed) continue;
    if (!ed && TEXT_VALUE_TYPES.has(type)) lines.push(textOf(obx));
    else flag(doc.flags, 'segment-ignored', obx.position);
  }
  const content = ed ? encapsulated(ed, doc.flags) : lines.length > 0 ? textContent(lines, obxs[0]!) : undefined;
  if (!content) return;
  describeContent(doc.body as DocumentBody, content);
  doc.content = content;
}

/**
 * MDM^T01–T11: per PID, each TXA is one document and the OBX after it its content. T02/T04/T06/T08/T10 carry content;
 * T08 (edit) of an authenticated document makes it amended; T06 (addendum) and T10 (replacement) name their parent
 * (TXA-13); T11 (cancel) marks the document entered in error. The document is linked to the PV1's visit.
 */
export function documentMapper(event: string) {
  return (input: EventInput): EventOutput => {
    const groups: PatientGroup[] = [];
    for (const g of requirePatients(input.segments, event)) {
      const group = patientGroup(g, input.ctx, 'current', input.flags);
      let open: { doc: FactInput; obxs: Located[] } | undefined;
      const close = () => {
        if (open) attachContent(open.doc, open.obxs);
      };
      for (const m of g.members) {
        if (m.id === 'TXA') {
          close();
          const doc = mapTxa(m, event, input.ctx, input.keys, []);
          group.facts.push(doc);
          open = { doc, obxs: [] };
        } else if (m.id === 'OBX') {
          if (open) open.obxs.push(m);
          else flag(input.flags, 'segment-ignored', m.position);
        }
      }
      close();
      if (group.facts.length === 0) {
        throw Hl7MappingError.missing({ segment: 'TXA' }, `${event} has no TXA segment for the patient at ${g.pid.position}; a document message must describe its document.`);
      }
      groups.push(group);
    }
    return { groups, merges: [] };
  };
}

/** OBX-11 result status as document states: corrected content is an amendment; deleted or wrong-patient is retracted. */
const RESULT_DOC_STATUS: Record<string, { status: string; docStatus: NonNullable<DocumentBody['docStatus']> }> = {
  final: { status: 'current', docStatus: 'final' },
  preliminary: { status: 'current', docStatus: 'preliminary' },
  registered: { status: 'current', docStatus: 'preliminary' },
  corrected: { status: 'current', docStatus: 'amended' },
  'entered-in-error': { status: 'entered-in-error', docStatus: 'entered-in-error' },
  cancelled: { status: 'entered-in-error', docStatus: 'entered-in-error' },
};

function embeddedDocument(observation: FactInput, obx: Located): FactInput {
  const flags = observation.flags.filter((f) => !(f.code === 'value-type-unknown' && f.at === at(obx, 5)));
  const state = RESULT_DOC_STATUS[observation.status];
  const body: DocumentBody = state ? { docStatus: state.docStatus } : {};
  const title = observation.code?.text ?? observation.code?.codings[0]?.display;
  if (title) body.title = title;
  const content = encapsulated(obx, flags)!;
  describeContent(body, content);
  return {
    kind: 'document',
    sourceKey: observation.sourceKey,
    status: state?.status ?? 'current',
    ...(observation.code ? { code: observation.code } : {}),
    ...(observation.effective ? { effective: observation.effective } : {}),
    body,
    position: observation.position,
    flags,
    content,
  };
}

/**
 * ORU^R01 with an OBX of value type ED (a report as a PDF, say): the results mapper leaves ED values out of
 * observations, and this turns each such observation into a document whose content is the decoded file. The
 * document keeps the observation's key, code, time and status.
 */
export function withEmbeddedDocuments(mapper: (input: EventInput) => EventOutput) {
  return (input: EventInput): EventOutput => {
    const out = mapper(input);
    const members = patientGroups(input.segments);
    out.groups.forEach((group, i) => {
      // An ED without data (a bare reference) stays the observation the results mapper made.
      const ed = new Map((members[i]?.members ?? []).filter((m) => m.id === 'OBX' && valueType(m) === 'ED' && hasEncapsulatedData(m)).map((m) => [m.position, m]));
      if (ed.size === 0) return;
      group.facts = group.facts.map((f) => {
        const obx = f.kind === 'observation' ? ed.get(f.position) : undefined;
        return obx ? embeddedDocument(f, obx) : f;
      });
    });
    return out;
  };
}
