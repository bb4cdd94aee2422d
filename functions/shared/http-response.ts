import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { HttpError } from './errors.ts';
import { stringifyJson } from './json.ts';

/** What an HTTP API (payload 2.0) handler takes and gives back. */
export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;

const JSON_HEADERS = { 'content-type': 'application/json' };

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: stringifyJson(body) };
}

/**
 * The Link header to a list's next page: the request's own path, relative (its last segment)
 * with this query, where RFC 8288 resolves it, since the API is not always at its host's root.
 */
export function nextPageLink(rawPath: string, query: string): Record<string, string> {
  return { link: `<${rawPath.slice(rawPath.lastIndexOf('/') + 1)}?${query}>; rel="next"` };
}

export function errorResult(error: HttpError): HttpResult {
  const details = error.details.length > 0 ? error.details : undefined;
  return json(error.status, { error: { code: error.code, message: error.message, details } });
}
