import { createHash } from 'node:crypto';
import type { DocumentBody, DocumentContent } from '../../../model/clinical.ts';
import type { QualityFlag } from '../../../model/quality.ts';
import { documentContent } from '../../document-content.ts';
import { Hl7MappingError } from './errors.ts';
import { at, components, flag, where, type Located } from './segments.ts';

/**
 * Document content carried in OBX-5: text (TX, FT, ST) or encapsulated data (ED: type ^ subtype ^ encoding ^ data).
 * Content is decoded strictly and checked for size here, so a broken document is refused with the segment and field
 * that broke, never stored half-read. No message in this file quotes the content.
 */
export const MAX_DOCUMENT_BYTES = 10 * 1024 * 1024;

export const TEXT_VALUE_TYPES = new Set(['TX', 'FT', 'ST']);

export const valueType = (obx: Located) => (obx.seg.get(2) ?? '').trim().toUpperCase();

/** One OBX's text: repetitions as lines, a component separator inside text kept as the character the sender typed. */
export function textOf(obx: Located): string {
  const { component, subcomponent } = obx.seg.message.delimiters;
  return obx.seg
    .tree(5)
    .map((rep) => rep.map((comp) => comp.join(subcomponent)).join(component))
    .join('\n');
}

/** Subtypes (HL7 table 0291 and what senders write) whose MIME type does not depend on the ED type. */
const SUBTYPE_MIME: Record<string, string> = {
  PDF: 'application/pdf', JPEG: 'image/jpeg', JPG: 'image/jpeg', PNG: 'image/png', GIF: 'image/gif', TIFF: 'image/tiff', TIF: 'image/tiff',
  RTF: 'application/rtf', HTML: 'text/html', XML: 'application/xml', PLAIN: 'text/plain', TXT: 'text/plain',
  'X-HL7-CDA-LEVEL-ONE': 'application/x-hl7-cda-level-one+xml', DICOM: 'application/dicom',
};

/** ED-2 type of data (HL7 table 0191) as a MIME top-level type. */
const TYPE_MIME: Record<string, string> = {
  AP: 'application', IM: 'image', SI: 'image', NS: 'image', AU: 'audio', TEXT: 'text', FT: 'text', SD: 'application',
  APPLICATION: 'application', IMAGE: 'image', AUDIO: 'audio', VIDEO: 'video', MULTIPART: 'multipart',
};

const MIME_TOKEN = /^[a-z0-9][a-z0-9.+-]*$/;

function mimeOf(type: string, subtype: string, obx: Located, flags: QualityFlag[]): string {
  const known = SUBTYPE_MIME[subtype.toUpperCase()];
  if (known) return known;
  const top = TYPE_MIME[type.toUpperCase()];
  const sub = subtype.toLowerCase();
  if (top && MIME_TOKEN.test(sub)) return `${top}/${sub}`;
  // The bytes are kept; what they are is not guessed.
  flag(flags, 'table-value-unknown', at(obx, 5));
  return 'application/octet-stream';
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function base64Bytes(data: string, obx: Located): Buffer {
  const compact = data.replace(/\s+/g, '');
  if (!BASE64.test(compact) || compact.length % 4 === 1) {
    throw Hl7MappingError.invalid(where(obx, 5, 5), `${at(obx, 5)}.5 (encapsulated data) is not valid base64 although ${at(obx, 5)}.4 says Base64; the document cannot be read. The source must send the whole document, base64-encoded.`);
  }
  const padding = compact.endsWith('==') ? 2 : compact.endsWith('=') ? 1 : 0;
  // Counted before decoding, so an oversized document is refused without being held in memory twice.
  tooLarge(Math.floor((compact.length * 3) / 4) - padding, obx);
  return Buffer.from(compact, 'base64');
}

function hexBytes(data: string, obx: Located): Buffer {
  const compact = data.replace(/\s+/g, '');
  if (!/^[0-9A-Fa-f]*$/.test(compact) || compact.length % 2 !== 0) {
    throw Hl7MappingError.invalid(where(obx, 5, 5), `${at(obx, 5)}.5 (encapsulated data) is not valid hexadecimal although ${at(obx, 5)}.4 says Hex; the document cannot be read.`);
  }
  tooLarge(compact.length / 2, obx);
  return Buffer.from(compact, 'hex');
}

function tooLarge(bytes: number, obx: Located): void {
  if (bytes > MAX_DOCUMENT_BYTES) {
    throw Hl7MappingError.invalid(where(obx, 5, 5), `${at(obx, 5)}.5 holds a document of ${bytes} bytes, more than the ${MAX_DOCUMENT_BYTES} bytes Vigil stores per document; send it by another route or split it.`);
  }
}

/** Whether an ED value carries data: senders also send ED as a bare reference (type and encoding, no data). */
export const hasEncapsulatedData = (obx: Located) => (components(obx.seg, 5)[4] ?? '') !== '';

/**
 * OBX-5 of value type ED as content: decoded by ED-4 (Base64, Hex, or A for plain text), typed by ED-2/ED-3.
 * Undefined when the value carries no data.
 */
export function encapsulated(obx: Located, flags: QualityFlag[]): DocumentContent | undefined {
  const [, type = '', subtype = '', encoding = '', data = ''] = components(obx.seg, 5);
  if (data === '') return undefined;
  const contentType = mimeOf(type, subtype, obx, flags);
  const how = encoding.toUpperCase();
  if (how === 'BASE64') return documentContent(contentType, base64Bytes(data, obx));
  if (how === 'HEX') return documentContent(contentType, hexBytes(data, obx));
  if (how === 'A' || how === '') {
    const bytes = Buffer.from(data, 'utf8');
    tooLarge(bytes.length, obx);
    return documentContent(contentType, bytes);
  }
  throw Hl7MappingError.invalid(where(obx, 5, 4), `${at(obx, 5)}.4 names an encoding Vigil cannot decode (HL7 table 0299: Base64, Hex, A); the document cannot be read.`, 103);
}

/** Text lines from several OBX as one plain-text document. */
export function textContent(lines: readonly string[], at: Located): DocumentContent {
  const data = Buffer.from(lines.join('\n'), 'utf8');
  tooLarge(data.length, at);
  return documentContent('text/plain; charset=utf-8', data);
}

/** What the body says about stored content: its type, size and digest (so a changed content is a new version). */
export function describeContent(body: DocumentBody, content: DocumentContent): void {
  body.contentType = content.contentType;
  body.size = content.data.length;
  body.digest = createHash('sha256').update(content.data).digest('hex');
}
