import middy, { type MiddlewareObj } from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { HttpError } from './errors.ts';
import { apiErrors, securityHeaders } from './api-errors.ts';
import type { HttpEvent, HttpResult } from './http-response.ts';
import { restEventsAsHttpApi } from './rest-event.ts';
import { logger, recordAccepted, recordRejected } from './observability.ts';

/**
 * The API-key authorizer marks requests without a valid key instead of refusing them,
 * because only the handler can answer 401 (see functions/auth/authorizer.ts). Routes
 * without an authorizer carry no mark and are public.
 */
const requireAuthentication = (): MiddlewareObj<HttpEvent, HttpResult> => ({
  before: (request) => {
    const context = (request.event.requestContext as { authorizer?: { lambda?: Record<string, unknown> } }).authorizer?.lambda;
    if (context?.authenticated === 'false') throw new HttpError(401, 'unauthorized', String(context.reason || 'an API key is required'));
  },
});

/**
 * The route and request id are on every log line; an ingest handler adds its ingest ids once
 * the records are queued (ingestIdsInLogs). injectLambdaContext's resetKeys drops them all
 * when the invocation ends.
 */
const routeInLogs = (): MiddlewareObj<HttpEvent, HttpResult> => ({
  before: (request) => {
    logger.appendKeys({ route: request.event.routeKey, requestId: request.event.requestContext?.requestId });
  },
});

/** Records accepted per route: ingest answers 202 {"accepted": n}, or 204 for one notification. */
const acceptedInMetrics = (): MiddlewareObj<HttpEvent, HttpResult> => ({
  after: (request) => {
    const { statusCode, body } = request.response ?? {};
    if (statusCode === 204) recordAccepted(request.event.routeKey, 1);
    if (statusCode !== 202 || typeof body !== 'string') return;
    const accepted = (JSON.parse(body) as { accepted?: unknown }).accepted;
    if (typeof accepted === 'number') recordAccepted(request.event.routeKey, accepted);
  },
});

/**
 * An HTTP API (payload 2.0) Lambda: a pure core wrapped in the project's middleware chain.
 * No @middy/http-cors: the HTTP API answers CORS itself (httpApi.cors in serverless.yml), so
 * preflights never invoke a function and the gateway ignores CORS headers a function sends.
 * No @middy/http-event-normalizer: handlers read path parameters with a default and the
 * query from rawQueryString (';' separators, case-insensitive names), so its empty objects
 * would serve nothing.
 */
export function httpHandler(core: (event: HttpEvent, context?: Context) => Promise<HttpResult>) {
  return middy<HttpEvent, HttpResult, Error, Context>()
    .use(restEventsAsHttpApi())
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(securityHeaders())
    .use(apiErrors({ rejected: recordRejected, unexpected: (error) => logger.error('unhandled error', { error: error as Error }) }))
    .use(acceptedInMetrics())
    .use(routeInLogs())
    .use(requireAuthentication())
    .handler(core);
}
