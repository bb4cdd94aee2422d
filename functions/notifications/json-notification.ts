import { badRequest, unsupportedMediaType } from '../shared/errors.ts';
import { parseUntrustedJson } from '../shared/request-json.ts';
import { assertStorable } from '../shared/storable.ts';

/** The member that holds a notification in JSON (and names its XML root). */
export const JSON_ROOT = 'ietf-https-notif:notification';

/**
 * A JSON notification's content. Apart from decode.ts so that what emits only JSON (the
 * simulator) does not bundle the XML parser.
 */
export function decodeJsonNotification(text: string): Record<string, unknown> {
  let body: unknown;
  try {
    // Free-form leaves may hold integers past 2^53 (counter64 in JSON is a string, but not every
    // publisher knows that): they are kept exact.
    body = parseUntrustedJson(text);
  } catch (error) {
    const reason = (error as Error).message;
    if (/prototype|__proto__|constructor/i.test(reason)) throw badRequest('the notification contains a forbidden key (__proto__ or constructor.prototype)');
    throw unsupportedMediaType(`the body is not valid JSON: ${reason}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest(`the body must be a JSON object with the member "${JSON_ROOT}"`);
  assertStorable(body, 'the notification');
  const keys = Object.keys(body);
  if (keys.length !== 1 || keys[0] !== JSON_ROOT) {
    throw badRequest(`the root must be "${JSON_ROOT}", got ${keys.map((k) => `"${k}"`).join(', ') || 'an empty object'}`, [{ field: keys[0] ?? '(root)', message: 'wrong root' }]);
  }
  const content = (body as Record<string, unknown>)[JSON_ROOT];
  if (typeof content !== 'object' || content === null || Array.isArray(content)) throw badRequest(`"${JSON_ROOT}" must be an object`);
  return content as Record<string, unknown>;
}
