import { badRequest, payloadTooLarge, unsupportedMediaType } from './errors.ts';
import type { HttpEvent } from './http-response.ts';

export function header(event: HttpEvent, name: string): string | undefined {
  return event.headers?.[name.toLowerCase()];
}

/** The media type of the request without parameters, lowercased; undefined when absent. */
export function mediaType(event: HttpEvent): string | undefined {
  const value = header(event, 'content-type');
  if (value === undefined) return undefined;
  const type = value.split(';')[0]?.trim().toLowerCase();
  return type === '' ? undefined : type;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The raw request body as text, enforcing the route's size limit and valid UTF-8. */
export function bodyText(event: HttpEvent, maxBytes: number): string {
  if (event.body === undefined || event.body === null) return '';
  const bytes = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (bytes.byteLength > maxBytes) throw payloadTooLarge(`request body is ${bytes.byteLength} bytes; the limit is ${maxBytes}`);
  if (!event.isBase64Encoded) return event.body;
  try {
    return utf8.decode(bytes);
  } catch {
    throw unsupportedMediaType('request body is not valid UTF-8');
  }
}

/**
 * Query parameters with case-insensitive names, splitting on '&' and ';' because
 * the original clients separated parameters with ';'.
 */
export function queryParameters(event: HttpEvent): Map<string, string> {
  const params = new Map<string, string>();
  for (const part of (event.rawQueryString ?? '').split(/[&;]/)) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawName = eq === -1 ? part : part.slice(0, eq);
    const rawValue = eq === -1 ? '' : part.slice(eq + 1);
    params.set(decodeComponent(rawName).toLowerCase(), decodeComponent(rawValue));
  }
  return params;
}

function decodeComponent(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    throw badRequest(`query string is not valid percent-encoding: ${value}`);
  }
}

/** An optional integer query parameter within [min, max]. */
export function integerParameter(params: Map<string, string>, name: string, min: number, max: number): number | undefined {
  const raw = params.get(name.toLowerCase());
  if (raw === undefined) return undefined;
  if (!/^-?\d+$/.test(raw)) throw badRequest(`${name} must be an integer, got "${raw}"`, [{ field: name, message: 'not an integer' }]);
  const value = Number(raw);
  if (value < min || value > max) {
    throw badRequest(`${name} must be between ${min} and ${max}, got ${value}`, [{ field: name, message: `outside ${min}..${max}` }]);
  }
  return value;
}

/**
 * The client's Idempotency-Key, when it sent one: retries of a request with the same key
 * are stored once, even if an earlier attempt was answered 503 after queueing part of it.
 */
export function idempotencyKey(event: HttpEvent): string | undefined {
  const key = header(event, 'idempotency-key');
  if (key === undefined || key === '') return undefined;
  if (key.length > 200) throw badRequest('Idempotency-Key may not exceed 200 characters', [{ field: 'Idempotency-Key', message: 'too long' }]);
  return key;
}
