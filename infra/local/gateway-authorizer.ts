// The HTTP API's Lambda request authorizer, run as API Gateway runs it.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { LocalFunction } from './lambda.ts';
import type { AuthorizerConfig } from './service-config.ts';

export interface LocalAuthorizer {
  config: AuthorizerConfig;
  fn: LocalFunction;
  cache: Map<string, { expires: number; result: AuthorizerResult }>;
}

interface AuthorizerResult {
  isAuthorized: boolean;
  context?: Record<string, unknown>;
}

/**
 * A Lambda request authorizer as API Gateway runs it: 401 without invoking it when an
 * identity source is missing, a cached answer within its TTL, 403 when it refuses, 500
 * when it fails; otherwise its context reaches the route as requestContext.authorizer.lambda.
 */
export async function runAuthorizer(
  authorizer: LocalAuthorizer,
  event: APIGatewayProxyEventV2,
  region: string,
): Promise<{ status: number; code: string; message: string } | undefined> {
  const identity = authorizer.config.identitySource.map((source) => identityValue(source, event));
  if (identity.some((value) => value === undefined || value === '')) return { status: 401, code: 'unauthorized', message: 'an API key is required' };
  const cacheKey = identity.join('\u0000');
  const ttl = authorizer.config.resultTtlInSeconds;
  let result = ttl > 0 ? authorizer.cache.get(cacheKey) : undefined;
  if (result === undefined || result.expires < Date.now()) {
    let answer: unknown;
    try {
      answer = await authorizer.fn.invoke({
        version: '2.0',
        type: 'REQUEST',
        routeArn: `arn:aws:execute-api:${region}:000000000000:local/$default/${event.requestContext.http.method}${event.rawPath}`,
        identitySource: identity,
        routeKey: event.routeKey,
        rawPath: event.rawPath,
        rawQueryString: event.rawQueryString,
        cookies: event.cookies,
        headers: event.headers,
        queryStringParameters: event.queryStringParameters,
        requestContext: event.requestContext,
        pathParameters: event.pathParameters,
        stageVariables: event.stageVariables,
      });
    } catch {
      return { status: 500, code: 'internal_error', message: 'internal error' };
    }
    result = { expires: Date.now() + ttl * 1000, result: authorizerResult(answer, authorizer.config.enableSimpleResponses) };
    if (ttl > 0) authorizer.cache.set(cacheKey, result);
  }
  if (!result.result.isAuthorized) {
    const reason = result.result.context?.reason;
    return { status: 403, code: 'forbidden', message: typeof reason === 'string' && reason !== '' ? reason : 'forbidden' };
  }
  (event.requestContext as unknown as { authorizer: unknown }).authorizer = { lambda: result.result.context ?? {} };
  return undefined;
}

function authorizerResult(answer: unknown, simple: boolean): AuthorizerResult {
  const value = (answer ?? {}) as Record<string, unknown>;
  if (simple) return { isAuthorized: value.isAuthorized === true, context: value.context as Record<string, unknown> | undefined };
  const statements = ((value.policyDocument as { Statement?: { Effect?: string }[] } | undefined)?.Statement ?? []);
  const allowed = statements.length > 0 && statements.every((s) => s.Effect === 'Allow');
  return { isAuthorized: allowed, context: value.context as Record<string, unknown> | undefined };
}

function identityValue(source: string, event: APIGatewayProxyEventV2): string | undefined {
  const header = /^\$request\.header\.(.+)$/i.exec(source);
  if (header) return event.headers[(header[1] as string).toLowerCase()];
  const query = /^\$request\.querystring\.(.+)$/i.exec(source);
  if (query) return event.queryStringParameters?.[query[1] as string];
  return source;
}
