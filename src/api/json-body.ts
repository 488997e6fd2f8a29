import { parse as parseTolerant, type ParseError } from 'jsonc-parser';
import secureJson from 'secure-json-parse';
import { VigilError } from '../errors.ts';

/**
 * Parses a JSON body. On failure the error names the position (line, column, offset) and never quotes the body,
 * unlike JSON.parse's own message, which can echo what a client sent (and so PHI).
 */
export class MalformedJsonError extends VigilError {
  constructor(readonly line: number, readonly column: number, readonly offset: number) {
    super('malformed-json', 400, `The request body is not valid JSON: the first error is at line ${line}, column ${column} (offset ${offset}).`);
  }
}

export class ForbiddenJsonKeyError extends VigilError {
  constructor() {
    super('forbidden-json-key', 400, 'The request body uses a reserved key (__proto__ or constructor.prototype); remove it.');
  }
}

export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') throw new VigilError('empty-body', 400, 'The request body is empty; send a JSON document or drop the Content-Type header.');
  try {
    return secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (err) {
    if (!(err instanceof SyntaxError) || /^Object contains forbidden/.test(err.message)) {
      throw new ForbiddenJsonKeyError();
    }
    const offset = firstErrorOffset(text);
    const before = text.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - before.lastIndexOf('\n');
    throw new MalformedJsonError(line, column, offset);
  }
}

function firstErrorOffset(text: string): number {
  const errors: ParseError[] = [];
  parseTolerant(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  return errors.length > 0 ? Math.min(...errors.map((e) => e.offset)) : text.length;
}
