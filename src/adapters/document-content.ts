import type { DocumentContent } from '../model/clinical.ts';

/**
 * A document's content as adapters hand it on. The bytes are a non-enumerable property: JSON.stringify, util.inspect
 * and object spreads of a fact or a whole normalized message never carry them, so a message that is logged, shown to
 * an operator or snapshotted cannot spill a document. Only the fact writer reads `data`, to encrypt it.
 */
export function documentContent(contentType: string, data: Uint8Array): DocumentContent {
  const content = { contentType } as DocumentContent;
  Object.defineProperty(content, 'data', { value: data, enumerable: false });
  return content;
}
