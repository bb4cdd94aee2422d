import type { HttpResult } from '../shared/http-response.ts';
import { publicHttpHandler } from '../shared/public-http-handler.ts';
import { type HttpEvent } from '../shared/http-response.ts';
import { header } from '../shared/http-request.ts';

export const CAPABILITIES = [
  'urn:ietf:capability:https-notif-receiver:encoding:json',
  'urn:ietf:capability:https-notif-receiver:encoding:xml',
];

const JSON_TYPES = ['application/yang-data+json', 'application/json'];
const XML_TYPES = ['application/yang-data+xml', 'application/xml', 'text/xml'];

interface Range {
  type: string;
  subtype: string;
  q: number;
}

/** Accept's media ranges with their q-values; a range with a malformed q (or above 1) is ignored. */
export function parseAccept(accept: string): Range[] {
  return accept.split(',').flatMap((part): Range[] => {
    const [range, ...params] = part.split(';').map((p) => p.trim());
    const [type, subtype] = (range ?? '').toLowerCase().split('/');
    if (!type || !subtype) return [];
    let q = 1;
    for (const param of params) {
      const [name, value] = param.split('=').map((p) => p.trim());
      if (name?.toLowerCase() !== 'q') continue;
      if (value === undefined || !/^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(value)) return [];
      q = Number(value);
    }
    return [{ type, subtype, q }];
  });
}

/** How much the client wants a media type: the q of the most specific range that matches it. */
function quality(ranges: Range[], mediaType: string): number {
  const [type, subtype] = mediaType.split('/');
  let best: { specificity: number; q: number } | undefined;
  for (const range of ranges) {
    const specificity = range.type === type && range.subtype === subtype ? 2 : range.type === type && range.subtype === '*' ? 1 : range.type === '*' && range.subtype === '*' ? 0 : -1;
    if (specificity >= 0 && (best === undefined || specificity > best.specificity)) best = { specificity, q: range.q };
  }
  return best?.q ?? 0;
}

/**
 * JSON only when the client prefers it: no Accept, only wildcards, neither encoding
 * named, or a tie all give XML, as the collector this replaces did.
 */
export function negotiateEncoding(accept: string | undefined): 'json' | 'xml' {
  if (accept === undefined || accept.trim() === '') return 'xml';
  const ranges = parseAccept(accept);
  const json = Math.max(...JSON_TYPES.map((t) => quality(ranges, t)));
  const xml = Math.max(...XML_TYPES.map((t) => quality(ranges, t)));
  return json > xml ? 'json' : 'xml';
}

/** GET /capabilities: the encodings this receiver takes, in the encoding the publisher prefers. */
export const handler = publicHttpHandler(async (event: HttpEvent): Promise<HttpResult> => {
  if (negotiateEncoding(header(event, 'accept')) === 'json') {
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json', vary: 'accept' },
      body: JSON.stringify({ 'receiver-capabilities': { 'receiver-capability': CAPABILITIES } }),
    };
  }
  const items = CAPABILITIES.map((c) => `<receiver-capability>${c}</receiver-capability>`).join('');
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/xml', vary: 'accept' },
    body: `<receiver-capabilities>${items}</receiver-capabilities>`,
  };
});
