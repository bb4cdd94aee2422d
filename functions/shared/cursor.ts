import { badRequest } from './errors.ts';

/** Every cursor we issue is far shorter; longer text is refused before it is decoded. */
export const MAX_CURSOR_LENGTH = 2048;

/** DynamoDB answers ValidationException to a sort-key value over 1024 bytes. */
export const MAX_SORT_KEY_BYTES = 1024;

export const invalidCursor = () => badRequest('cursor is not one this API returned', [{ field: 'cursor', message: 'invalid' }]);

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function encodeCursorText(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

/** The text encodeCursorText encoded, or undefined for anything it could not have written. */
export function decodeCursorText(cursor: string): string | undefined {
  if (cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor)) return undefined;
  const bytes = Buffer.from(cursor, 'base64url');
  // Node's decoder ignores stray characters and trailing bits; only our own encodings round-trip.
  if (bytes.toString('base64url') !== cursor) return undefined;
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Whether DynamoDB takes the text as a string key value: non-empty, well-formed Unicode, within the byte limit. */
export function isKeyValue(text: string, maxBytes = MAX_SORT_KEY_BYTES): boolean {
  return text.length > 0 && text.isWellFormed() && Buffer.byteLength(text) <= maxBytes;
}

/**
 * A cursor codec: how a query's position is written into the cursor a page hands out, and
 * read back from one. `decode` answers undefined for anything `encode` could not have
 * written, and for positions whose query could fail (keys past DynamoDB's limits).
 */
export interface CursorCodec<T> {
  encode(position: T): string;
  decode(cursor: string): T | undefined;
}

/** A position that is one sort key, taken back only when it has the shape of our own keys. */
export function sortKeyCursor(shape: RegExp): CursorCodec<string> {
  return {
    encode: (sortKey) => encodeCursorText(sortKey),
    decode: (cursor) => {
      const sortKey = decodeCursorText(cursor);
      return sortKey !== undefined && shape.test(sortKey) ? sortKey : undefined;
    },
  };
}

/** A position written as JSON, taken back only when `validate` recognises it. */
export function jsonCursor<T>(validate: (value: unknown) => T | undefined): CursorCodec<T> {
  return {
    encode: (position) => encodeCursorText(JSON.stringify(position)),
    decode: (cursor) => {
      const text = decodeCursorText(cursor);
      if (text === undefined) return undefined;
      try {
        return validate(JSON.parse(text));
      } catch {
        return undefined;
      }
    },
  };
}

/**
 * The position a request's `cursor` parameter names: undefined when it has none (absent or
 * empty), a 400 for any cursor `decode` does not take back.
 */
export function cursorParameter<T>(params: ReadonlyMap<string, string>, decode: (cursor: string) => T | undefined): T | undefined {
  const cursor = params.get('cursor');
  if (cursor === undefined || cursor === '') return undefined;
  const position = decode(cursor);
  if (position === undefined) throw invalidCursor();
  return position;
}
