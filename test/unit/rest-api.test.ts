import type { APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { asHttpApiEvent } from '../../functions/shared/rest-event.ts';
import { handler as authorizer } from '../../functions/auth/authorizer.ts';
import { lambdaContext } from '../helpers/sqs-events.ts';

/** A REST API (payload 1.0) event as API Gateway sends one for `GET /packets/tables/view`. */
function restEvent(overrides: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent {
  return {
    resource: '/packets/tables/{protocol}',
    path: '/packets/tables/view',
    httpMethod: 'GET',
    headers: { 'X-Api-Key': 'k', Cookie: 'a=1; b=2' },
    multiValueHeaders: { 'X-Api-Key': ['k'], Cookie: ['a=1; b=2'] },
    queryStringParameters: { ProtocolName: 'UDP;Limit=2', cursor: 'a b' },
    multiValueQueryStringParameters: { ProtocolName: ['UDP;Limit=2'], cursor: ['a b'] },
    pathParameters: { protocol: 'view' },
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'abc123',
      authorizer: { principalId: 'key-1', authenticated: 'true', keyId: 'key-1', reason: '', integrationLatency: 3 },
      protocol: 'HTTP/1.1',
      httpMethod: 'GET',
      identity: { sourceIp: '192.0.2.7', userAgent: 'curl/8', clientCert: null } as APIGatewayProxyEvent['requestContext']['identity'],
      path: '/emulator/packets/tables/view',
      stage: 'emulator',
      requestId: 'req-1',
      requestTimeEpoch: 1_700_000_000_000,
      resourceId: 'r1',
      resourcePath: '/packets/tables/{protocol}',
    },
    ...overrides,
  };
}

describe('a REST API event, as every handler reads it (payload 2.0)', () => {
  it('keeps method, path, route, headers in lower case, cookies and the authorizer context under lambda', () => {
    const event = asHttpApiEvent(restEvent());
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'GET /packets/tables/{protocol}',
      rawPath: '/packets/tables/view',
      headers: { 'x-api-key': 'k', cookie: 'a=1; b=2' },
      cookies: ['a=1', 'b=2'],
      pathParameters: { protocol: 'view' },
      // timeEpoch: the request's arrival, which ingest's receipt time and GET /devices' gateway clock read.
      requestContext: { requestId: 'req-1', stage: 'emulator', timeEpoch: 1_700_000_000_000, http: { method: 'GET', path: '/packets/tables/view', sourceIp: '192.0.2.7' }, authorizer: { lambda: { authenticated: 'true', keyId: 'key-1', reason: '' } } },
    });
  });

  it("writes the query back with the client's ';' separators, other characters encoded", () => {
    expect(asHttpApiEvent(restEvent()).rawQueryString).toBe('ProtocolName=UDP;Limit=2&cursor=a%20b');
  });

  it('leaves a payload 2.0 event as it is', () => {
    const v2 = asHttpApiEvent(restEvent());
    expect(asHttpApiEvent(v2)).toBe(v2);
  });
});

describe('the authorizer behind a REST API', () => {
  const saved = process.env.API_KEYS;
  beforeEach(() => {
    process.env.API_KEYS = 'reader-key=read,writer-key=ingest';
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.API_KEYS;
    else process.env.API_KEYS = saved;
  });

  const authorizerEvent = (method: string, headers: Record<string, string>): APIGatewayRequestAuthorizerEvent =>
    ({ type: 'REQUEST', methodArn: `arn:aws:execute-api:us-east-1:000000000000:abc123/emulator/${method}/packets`, httpMethod: method, headers, requestContext: { identity: {} } }) as unknown as APIGatewayRequestAuthorizerEvent;
  const decide = (event: APIGatewayRequestAuthorizerEvent) => authorizer(event as never, lambdaContext('authorizer')) as Promise<{ principalId: string; policyDocument: { Statement: { Effect: string; Resource: string }[] }; context: Record<string, string> }>;

  it('allows a key with the scope for the method called, whatever the header case', async () => {
    const result = await decide(authorizerEvent('GET', { 'X-API-Key': 'reader-key' }));
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow', Resource: expect.stringContaining('/GET/packets') });
    expect(result.context).toMatchObject({ authenticated: 'true' });
  });

  it('denies a key without the scope (API Gateway answers 403)', async () => {
    const result = await decide(authorizerEvent('POST', { 'x-api-key': 'reader-key' }));
    expect(result.policyDocument.Statement[0]?.Effect).toBe('Deny');
  });

  it('lets a request without a key through, marked, for the handler to answer 401', async () => {
    const result = await decide(authorizerEvent('GET', {}));
    expect(result.policyDocument.Statement[0]?.Effect).toBe('Allow');
    expect(result.context).toMatchObject({ authenticated: 'false', keyId: '' });
    expect(result.principalId).toBe('anonymous');
  });
});
