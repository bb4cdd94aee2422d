import secureJson from 'secure-json-parse';
import { badRequest, unsupportedMediaType } from './errors.ts';
import { bodyText, mediaType } from './http-request.ts';
import type { HttpEvent } from './http-response.ts';
import { exactIntegers, mayHoldBigInteger } from './json.ts';
import { assertStorable } from './storable.ts';

// JSON from clients, apart from json.ts and http-request.ts, so that functions which read no
// JSON from a request (queries, writers, health) bundle neither secure-json-parse nor the
// storable check.

/** secure-json-parse (prototype keys are errors) with big integers kept exact. */
export function parseUntrustedJson(text: string): unknown {
  const reviver = mayHoldBigInteger(text) ? (exactIntegers as Parameters<typeof JSON.parse>[1]) : undefined;
  return secureJson.parse(text, reviver, { protoAction: 'error', constructorAction: 'error' });
}

function isJsonMediaType(type: string | undefined): boolean {
  return type === undefined || type === 'application/json' || type.endsWith('+json');
}

/**
 * Parses a JSON request body. Content-Type must be JSON (or absent); a body that is not
 * JSON is 415 as API.md says; keys that could pollute prototypes are refused.
 */
export function jsonBody(event: HttpEvent, maxBytes: number): unknown {
  const type = mediaType(event);
  if (!isJsonMediaType(type)) throw unsupportedMediaType(`Content-Type ${type} is not supported; send application/json`);
  const text = bodyText(event, maxBytes);
  if (text.trim() === '') throw badRequest('request body is empty');
  let body: unknown;
  try {
    body = parseUntrustedJson(text);
  } catch (error) {
    const reason = (error as Error).message;
    if (/prototype|__proto__|constructor/i.test(reason)) {
      throw badRequest('request body contains a forbidden key (__proto__ or constructor.prototype)');
    }
    throw unsupportedMediaType(`request body is not valid JSON: ${reason}`);
  }
  assertStorable(body, 'request body', Array.isArray(body));
  return body;
}
