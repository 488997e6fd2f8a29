import type { DiagnosticReportBody, FactInput, ObservationBody, PatientGroup } from '../../../model/clinical.ts';
import { observationCategoryOf } from '../../../model/observation-category.ts';
import type { QualityFlag } from '../../../model/quality.ts';
import { conceptOf } from './codes.ts';
import type { EventInput, EventOutput, MapContext } from './context.ts';
import { Hl7MappingError } from './errors.ts';
import { patientGroup, requirePatients } from './group.ts';
import { orderKey, orderNumber, type KeyRegistry } from './keys.ts';
import { observationValue } from './observation-value.ts';
import { at, components, flag, raw, repetitionCount, text, where, type Located } from './segments.ts';
import { hl7Time } from './time.ts';

/** OBR-25 result status (HL7 table 0123). A (some results available) reads as preliminary: the report is not final. */
const REPORT_STATUS: Record<string, string> = {
  O: 'registered', I: 'registered', S: 'registered', R: 'registered',
  A: 'preliminary', P: 'preliminary', F: 'final', C: 'corrected', X: 'cancelled',
};

/** OBX-11 observation result status (HL7 table 0085); W (wrong patient) and D (deleted) retract the result. */
const OBSERVATION_STATUS: Record<string, string> = {
  R: 'registered', I: 'registered', P: 'preliminary', F: 'final', C: 'corrected',
  D: 'entered-in-error', W: 'entered-in-error', X: 'cancelled',
};

function statusOf(table: Record<string, string>, loc: Located, field: number, flags: QualityFlag[]): string {
  const status = table[text(loc.seg, field).toUpperCase()];
  if (status) return status;
  flag(flags, 'status-unknown', at(loc, field));
  return 'unknown';
}

interface OpenReport {
  key: string;
  obr: Located;
  fact: FactInput;
}

/**
 * ORU^R01: per PID group, each OBR is a diagnostic report and each OBX an observation. An OBX belongs to the OBR
 * before it; one before any OBR (v2.7+ patient observations, or an ORC without OBR) is a patient-level observation.
 * NTEs right after an OBX (PRTs may come between) are its note. NTEs after an OBR are report comments, which the model
 * has no place for: the report is flagged `segment-ignored` at each one.
 */
export function mapResults(input: EventInput): EventOutput {
  const groups: PatientGroup[] = [];
  for (const g of requirePatients(input.segments, 'ORU^R01')) {
    const group = patientGroup(g, input.ctx, 'current', input.flags);
    let order: { filler: string; placer: string } | undefined;
    let report: OpenReport | undefined;
    let lastObservation: FactInput | undefined;
    for (const m of g.members) {
      if (m.id === 'ORC') {
        order = { filler: orderNumber(m, 3), placer: orderNumber(m, 2) };
        report = undefined;
        lastObservation = undefined;
      } else if (m.id === 'OBR') {
        report = mapReport(m, order, input.ctx, input.keys);
        group.facts.push(report.fact);
        order = undefined;
        lastObservation = undefined;
      } else if (m.id === 'OBX') {
        lastObservation = mapObservation(m, report, input.ctx, input.keys);
        group.facts.push(lastObservation);
      } else if (m.id === 'NTE') {
        const note = noteText(m);
        if (lastObservation && note) {
          const body = lastObservation.body as ObservationBody;
          body.note = body.note ? `${body.note}\n${note}` : note;
        } else if (report && !lastObservation) {
          flag(report.fact.flags, 'segment-ignored', m.position);
        }
      } else if (m.id !== 'PRT') {
        lastObservation = undefined;
      }
    }
    groups.push(group);
  }
  return { groups, merges: [] };
}

function noteText(nte: Located): string {
  const lines: string[] = [];
  for (let rep = 1; rep <= repetitionCount(nte.seg, 3); rep++) lines.push(raw(nte.seg, 3, rep));
  return lines.join('\n').trim();
}

function mapReport(obr: Located, order: { filler: string; placer: string } | undefined, ctx: MapContext, keys: KeyRegistry): OpenReport {
  const flags: QualityFlag[] = [];
  const filler = orderNumber(obr, 3) || order?.filler || '';
  const placer = orderNumber(obr, 2) || order?.placer || '';
  const base = orderKey(filler, placer);
  if (!base) {
    throw Hl7MappingError.missing(
      where(obr, 3),
      `${obr.position}-3 (filler order number) and ${obr.position}-2 (placer order number) are both empty and no ORC before it carries one; the source must send an order number so results can be matched to their order.`,
    );
  }
  const key = keys.unique(`${base}/${text(obr.seg, 4, 1, 1)}`);
  const body: DiagnosticReportBody = {};
  if (placer) body.placerOrder = placer;
  if (filler) body.fillerOrder = filler;
  const category = text(obr.seg, 24);
  if (category) body.category = category;
  const issued = hl7Time(text(obr.seg, 22), ctx.profile, at(obr, 22), flags);
  if (issued) body.issued = issued;
  const code = conceptOf(components(obr.seg, 4), ctx, at(obr, 4), flags);
  const effective = hl7Time(text(obr.seg, 7), ctx.profile, at(obr, 7), flags);
  const fact: FactInput = {
    kind: 'diagnostic-report',
    sourceKey: key,
    status: statusOf(REPORT_STATUS, obr, 25, flags),
    ...(code ? { code } : {}),
    ...(effective ? { effective } : {}),
    body,
    position: obr.position,
    flags,
  };
  return { key, obr, fact };
}

function mapObservation(obx: Located, report: OpenReport | undefined, ctx: MapContext, keys: KeyRegistry): FactInput {
  const flags: QualityFlag[] = [];
  const code = conceptOf(components(obx.seg, 3), ctx, at(obx, 3), flags);
  const observed = text(obx.seg, 14);
  const effective = observed
    ? hl7Time(observed, ctx.profile, at(obx, 14), flags)
    : report && hl7Time(text(report.obr.seg, 7), ctx.profile, at(report.obr, 7), flags);
  const instance = text(obx.seg, 4) || text(obx.seg, 1);
  // Outside a report only the code, the time and the set id tell one patient-level observation from the next.
  const base = report ? report.key : `patient/${observed}`;
  const body: ObservationBody = {};
  const value = observationValue(obx, ctx, flags);
  if (value) body.value = value;
  const range = text(obx.seg, 7);
  if (range) body.referenceRange = range;
  const interpretation = text(obx.seg, 8, 1, 1);
  if (interpretation) body.interpretation = interpretation;
  if (report) body.reportKey = report.key;
  const category = observationCategoryOf(code?.codings ?? [], report ? text(report.obr.seg, 24) : undefined);
  if (category) body.category = category;
  return {
    kind: 'observation',
    sourceKey: keys.unique(`${base}/${text(obx.seg, 3, 1, 1)}/${instance}`),
    status: statusOf(OBSERVATION_STATUS, obx, 11, flags),
    ...(code ? { code } : {}),
    ...(effective ? { effective } : {}),
    body,
    position: obx.position,
    flags,
  };
}
