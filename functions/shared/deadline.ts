import type { Context } from 'aws-lambda';

/**
 * When this invocation's time runs out (epoch ms), by Lambda's clock; never for a caller that
 * passes no context (the memory benchmark calls a writer that way).
 */
export function invocationDeadline(context: Context | undefined): number {
  return typeof context?.getRemainingTimeInMillis === 'function' ? Date.now() + context.getRemainingTimeInMillis() : Number.POSITIVE_INFINITY;
}
