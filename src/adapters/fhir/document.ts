import { createHash } from 'node:crypto';
import { CONFIDENTIALITY_SYSTEM, type DocumentBody, type DocumentContent } from '../../model/clinical.ts';
import { confidentialityLabels } from '../confidentiality.ts';
import { documentContent } from '../document-content.ts';
import type { QualityFlag } from '../../model/quality.ts';
import { conceptOf } from './codes.ts';
import type { ResourceMapper } from './context.ts';
import { EntryRefusal } from './errors.ts';
import { numberAt, objectAt, objectsAt, stringAt } from './json.ts';
import { statusOf, statuses } from './status.ts';
import { fhirTime } from './time.ts';

const DOCUMENT_STATUS = statuses('current', 'superseded', 'entered-in-error');

/** The most content one document may carry; the HL7 v2 adapter holds documents to the same limit. */
export const MAX_DOCUMENT_BYTES = 10 * 1024 * 1024;

const DOC_STATUS = new Set(['preliminary', 'final', 'amended', 'entered-in-error']);

/**
 * DocumentReference → a document fact: its type, title, content type and size. Inline attachment data is decoded and
 * carried as the fact's content, which the writer stores encrypted with the patient's key (never in the body; the
 * body gets its size and digest). Data that is not base64, or is larger than the limit, refuses the entry naming the
 * element only. An attachment url is not fetched: Vigil keeps only what it was sent.
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
    const content = inlineContent(attachment?.['data'], contentType, `${base}.content[${contentIndex(r)}].attachment.data`);
    if (content) {
      body.contentType = content.contentType;
      body.size = content.data.length;
      body.digest = createHash('sha256').update(content.data).digest('hex');
    } else {
      const size = numberAt(attachment, 'size');
      if (size !== undefined) body.size = size;
    }
    const docStatus = stringAt(r, 'docStatus');
    if (docStatus && DOC_STATUS.has(docStatus)) body.docStatus = docStatus as DocumentBody['docStatus'];
    const context = objectAt(r, 'context');
    const effective =
      r['date'] !== undefined ? fhirTime(r['date'], m.ctx, `${base}.date`, flags) : fhirTime(objectAt(context, 'period')?.['start'], m.ctx, `${base}.context.period.start`, flags);
    const code = conceptOf(r['type'], m.ctx, `${base}.type`, flags);
    const labels = documentLabels(r, m.ctx.profile.documentConfidentiality);
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
        ...(content ? { content } : {}),
        ...(labels.length > 0 ? { securityLabels: labels } : {}),
      },
    ];
  },
};

/** The document's confidentiality codings (securityLabel, meta.security) as the security labels it carries. */
function documentLabels(r: Record<string, unknown>, mapping: Record<string, string> | undefined): string[] {
  const codings = [...objectsAt(r, 'securityLabel').flatMap(([c]) => objectsAt(c, 'coding').map(([x]) => x)), ...objectsAt(objectAt(r, 'meta'), 'security').map(([x]) => x)];
  const labels = new Set<string>();
  for (const coding of codings) {
    const code = stringAt(coding, 'code');
    if (stringAt(coding, 'system') === CONFIDENTIALITY_SYSTEM && code) for (const l of confidentialityLabels(code, mapping).labels) labels.add(l);
  }
  return [...labels];
}

/** Which content element holds the first attachment (the one mapped). */
function contentIndex(r: Record<string, unknown>): number {
  return Math.max(0, objectsAt(r, 'content').findIndex(([c]) => objectAt(c, 'attachment') !== undefined));
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function inlineContent(data: unknown, contentType: string | undefined, at: string): DocumentContent | undefined {
  if (data === undefined) return undefined;
  const compact = typeof data === 'string' ? data.replace(/\s+/g, '') : undefined;
  if (compact === undefined || !BASE64.test(compact) || compact.length % 4 !== 0) {
    throw EntryRefusal.error('value', at, 'Attachment.data is not valid base64; the document cannot be read. Send the whole document, base64-encoded.');
  }
  const padding = compact.endsWith('==') ? 2 : compact.endsWith('=') ? 1 : 0;
  const size = (compact.length * 3) / 4 - padding;
  if (size > MAX_DOCUMENT_BYTES) {
    throw EntryRefusal.error('value', at, `Attachment.data holds ${size} bytes, more than the ${MAX_DOCUMENT_BYTES} bytes Vigil stores per document.`);
  }
  return documentContent(contentType ?? 'application/octet-stream', Buffer.from(compact, 'base64'));
}
