import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { HttpEvent, HttpResult } from './http-response.ts';

/**
 * A REST API (payload 1.0) event in the HTTP API's payload 2.0 shape, which every handler
 * reads: a stage with `apiType: rest` (serverless.yml) puts the same functions behind a REST
 * API, for emulators that have no HTTP API. Payload 2.0 events pass through unchanged.
 */
export function asHttpApiEvent(event: HttpEvent | APIGatewayProxyEvent): HttpEvent {
  if (!isRestEvent(event)) return event;
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(event.multiValueHeaders ?? {})) if (values !== undefined) headers[name.toLowerCase()] = values.join(',');
  for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined) headers[name.toLowerCase()] ??= value;
  const { requestContext: rest } = event;
  // The REST authorizer's context arrives beside its principalId; payload 2.0 keeps it under `lambda`.
  const { principalId: _principal, integrationLatency: _latency, ...authorizerContext } = (rest.authorizer ?? {}) as Record<string, unknown>;
  const clientCert = rest.identity?.clientCert;
  return {
    version: '2.0',
    routeKey: `${event.httpMethod} ${event.resource}`,
    rawPath: event.path,
    rawQueryString: queryStringOf(event.multiValueQueryStringParameters ?? {}),
    cookies: headers.cookie?.split(/;\s*/),
    headers,
    queryStringParameters: event.queryStringParameters ?? undefined,
    pathParameters: event.pathParameters ?? undefined,
    stageVariables: event.stageVariables ?? undefined,
    body: event.body ?? undefined,
    isBase64Encoded: event.isBase64Encoded,
    requestContext: {
      accountId: rest.accountId,
      apiId: rest.apiId,
      domainName: rest.domainName ?? '',
      domainPrefix: rest.domainPrefix ?? '',
      requestId: rest.requestId,
      routeKey: `${event.httpMethod} ${event.resource}`,
      stage: rest.stage,
      time: rest.requestTime ?? '',
      timeEpoch: rest.requestTimeEpoch,
      http: { method: event.httpMethod, path: event.path, protocol: rest.protocol, sourceIp: rest.identity?.sourceIp ?? '', userAgent: rest.identity?.userAgent ?? '' },
      ...(Object.keys(authorizerContext).length > 0 ? { authorizer: { lambda: authorizerContext } } : {}),
      ...(clientCert ? { authentication: { clientCert } } : {}),
    },
  } as HttpEvent;
}

function isRestEvent(event: HttpEvent | APIGatewayProxyEvent): event is APIGatewayProxyEvent {
  return (event as { version?: string }).version !== '2.0' && typeof (event as APIGatewayProxyEvent).httpMethod === 'string';
}

/**
 * REST APIs hand over the query decoded and split on '&' only; it is written back the way
 * clients send it. A client's ';' separators (seed 000's `ProtocolName=UDP;Limit=2`) arrive
 * inside a value, so ';' and '=' are left as they came for the query parser to split.
 */
function queryStringOf(parameters: Record<string, string[] | undefined>): string {
  const encode = (text: string) => encodeURIComponent(text).replace(/%3B/gi, ';').replace(/%3D/gi, '=');
  return Object.entries(parameters)
    .flatMap(([name, values]) => (values ?? []).map((value) => `${encode(name)}=${encode(value)}`))
    .join('&');
}

/** The first step of every HTTP chain: handlers see payload 2.0 whichever API invoked them. */
export const restEventsAsHttpApi = (): MiddlewareObj<HttpEvent, HttpResult> => ({
  before: (request) => {
    request.event = asHttpApiEvent(request.event);
  },
});
