import type { Context } from 'aws-lambda';

/**
 * When this invocation's time runs out (epoch ms), by Lambda's clock; never for a caller that
 * passes no context (the memory benchmark calls a writer that way).
 */
export function invocationDeadline(context: Context | undefined): number {
  return typeof context?.getRemainingTimeInMillis === 'function' ? Date.now() + context.getRemainingTimeInMillis() : Number.POSITIVE_INFINITY;
}

/**
 * Times groups of work run one after another (a group of reads in parallel) and says whether
 * another fits before `deadline`, judged by the slowest group so far.
 */
export function groupClock(deadline: number) {
  let slowestMs = 0;
  return {
    /** Whether the time left covers another group as slow as the slowest so far. */
    anotherFits: () => Date.now() + slowestMs <= deadline,
    async time<T>(group: () => Promise<T>): Promise<T> {
      const started = Date.now();
      const result = await group();
      slowestMs = Math.max(slowestMs, Date.now() - started);
      return result;
    },
  };
}
