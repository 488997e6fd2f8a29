import type { DocumentBody } from '../../model/clinical.ts';
import type { QualityFlag } from '../../model/quality.ts';
import { conceptOf } from './codes.ts';
import type { ResourceMapper } from './context.ts';
import { numberAt, objectAt, objectsAt, stringAt } from './json.ts';
import { statusOf, statuses } from './status.ts';
import { fhirTime } from './time.ts';

const DOCUMENT_STATUS = statuses('current', 'superseded', 'entered-in-error');

/**
 * DocumentReference → a document fact: its type, title, content type and size. The attachment's data and url are
 * never copied: document text is stored encrypted with the patient's key, never in a fact body. The size is the
 * attachment's own, or counted from the base64 data without decoding it.
 */
export const documentMapper: ResourceMapper = {
  patient: 'subject',
  encounter: (r) => {
    const encounters = objectAt(r, 'context')?.['encounter'];
    return Array.isArray(encounters) ? encounters[0] : undefined;
  },
  map(entry, m) {
    const { resource: r, base } = entry;
    const flags: QualityFlag[] = [];
    const body: DocumentBody = {};
    const attachment = objectsAt(r, 'content').map(([c]) => objectAt(c, 'attachment')).find(Boolean);
    const title = stringAt(r, 'description') ?? stringAt(attachment, 'title');
    if (title) body.title = title;
    const contentType = stringAt(attachment, 'contentType');
    if (contentType) body.contentType = contentType;
    const size = numberAt(attachment, 'size') ?? base64Size(attachment?.['data']);
    if (size !== undefined) body.size = size;
    const context = objectAt(r, 'context');
    const effective =
      r['date'] !== undefined ? fhirTime(r['date'], m.ctx, `${base}.date`, flags) : fhirTime(objectAt(context, 'period')?.['start'], m.ctx, `${base}.context.period.start`, flags);
    const code = conceptOf(r['type'], m.ctx, `${base}.type`, flags);
    return [
      {
        kind: 'document',
        sourceKey: m.keyOf(entry),
        status: statusOf(r['status'], DOCUMENT_STATUS, `${base}.status`, flags),
        ...(code ? { code } : {}),
        ...(effective ? { effective } : {}),
        body,
        position: base,
        flags,
      },
    ];
  },
};

function base64Size(data: unknown): number | undefined {
  if (typeof data !== 'string') return undefined;
  const compact = data.replace(/\s+/g, '');
  const padding = compact.endsWith('==') ? 2 : compact.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((compact.length * 3) / 4) - padding);
}
