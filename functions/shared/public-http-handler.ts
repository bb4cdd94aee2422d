import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { apiErrors, securityHeaders } from './api-errors.ts';
import type { HttpEvent, HttpResult } from './http-response.ts';
import { restEventsAsHttpApi } from './rest-event.ts';

/**
 * The chain of the public routes that only answer from memory (health, capabilities, the
 * contract): the same error shape and headers as every route, without Powertools, whose
 * import would be most of their cold start (about 14 ms of 15, measured with bench/cold-start.ts).
 */
export function publicHttpHandler(core: (event: HttpEvent) => Promise<HttpResult>) {
  return middy<HttpEvent, HttpResult, Error, Context>()
    .use(restEventsAsHttpApi())
    .use(securityHeaders())
    .use(
      apiErrors({
        rejected: () => undefined,
        unexpected: (error) => console.error(JSON.stringify({ level: 'ERROR', message: 'unhandled error', error: String(error) })),
      }),
    )
    .handler(core);
}
