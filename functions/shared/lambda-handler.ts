import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { logger } from './observability.ts';

/** A Lambda that is not behind the HTTP API (writers, schedules, the authorizer): a pure core with structured logging. */
export function lambdaHandler<TEvent, TResult>(core: (event: TEvent, context?: Context) => Promise<TResult>) {
  return middy<TEvent, TResult, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(core);
}
