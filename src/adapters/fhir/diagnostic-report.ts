import type { DiagnosticReportBody } from '../../model/clinical.ts';
import type { QualityFlag } from '../../model/quality.ts';
import { conceptOf, firstCode } from './codes.ts';
import type { ResourceMapper } from './context.ts';
import { flag } from './flags.ts';
import { objectAt, objectsAt, stringAt } from './json.ts';
import { statusOf, statuses } from './status.ts';
import { fhirTime } from './time.ts';

const REPORT_STATUS = statuses('registered', 'partial', 'preliminary', 'final', 'amended', 'corrected', 'appended', 'cancelled', 'entered-in-error', 'unknown');

/**
 * DiagnosticReport → a diagnostic-report fact. Its `result` references are followed after every entry is mapped:
 * each Observation of the payload they name gets this report's key as its reportKey. The conclusion is kept as text;
 * presentedForm (the rendered report) is flagged `segment-ignored` and its attachment is never copied.
 */
export const diagnosticReportMapper: ResourceMapper = {
  patient: 'subject',
  encounter: (r) => r['encounter'],
  map(entry, m) {
    const { resource: r, base } = entry;
    const flags: QualityFlag[] = [];
    const body: DiagnosticReportBody = {};
    for (const [identifier] of objectsAt(r, 'identifier')) {
      const type = firstCode(identifier['type']);
      const value = stringAt(identifier, 'value');
      if (value && type === 'PLAC') body.placerOrder ??= value;
      if (value && type === 'FILL') body.fillerOrder ??= value;
    }
    const category = objectsAt(r, 'category').map(([c]) => firstCode(c))[0];
    if (category) body.category = category;
    const issued = fhirTime(r['issued'], m.ctx, `${base}.issued`, flags);
    if (issued) body.issued = issued;
    const conclusion = stringAt(r, 'conclusion')?.trim();
    if (conclusion) body.conclusion = conclusion;
    else if (r['conclusion'] !== undefined) flag(flags, 'segment-ignored', `${base}.conclusion`);
    if (r['presentedForm'] !== undefined) flag(flags, 'segment-ignored', `${base}.presentedForm`);
    const effective =
      r['effectiveDateTime'] !== undefined
        ? fhirTime(r['effectiveDateTime'], m.ctx, `${base}.effectiveDateTime`, flags)
        : fhirTime(objectAt(r, 'effectivePeriod')?.['start'], m.ctx, `${base}.effectivePeriod.start`, flags);
    const code = conceptOf(r['code'], m.ctx, `${base}.code`, flags);
    return [
      {
        kind: 'diagnostic-report',
        sourceKey: m.keyOf(entry),
        status: statusOf(r['status'], REPORT_STATUS, `${base}.status`, flags),
        ...(code ? { code } : {}),
        ...(effective ? { effective } : {}),
        body,
        position: base,
        flags,
      },
    ];
  },
};
