import { TimeBudgetError } from './sqs-batch.ts';

/** Time a writer keeps back, once its chunks stop, for handing the rest back to the queue. */
export const RESERVE_MS = 2_000;
/** Margin on the slowest work so far when judging how much more fits. */
export const MARGIN = 1.2;

export interface TimeBudget<M> {
  /** When the invocation's time runs out (invocationDeadline). */
  deadline: number;
  /** What a message costs, in the writer's own units (records, readings, updates). */
  workOf: (message: M) => number;
  /** What a unit is taken to cost before a chunk has measured one. */
  assumedUnitMs: number;
  /** Stores a chunk completely before the next starts. Must be idempotent, as every store is. */
  storeChunk: (chunk: M[]) => Promise<void>;
}

/**
 * A writer's `store` (see writeMessages) that goes through a batch in chunks of as much work as
 * the time left covers, judged by the slowest unit so far, and throws TimeBudgetError for the
 * rest when not even the next message fits: those return to the queue at once, and what is
 * stored stays stored, rather than the whole batch timing out and coming back until the DLQ.
 * Chunks are as large as the time allows because a chunk's requests run in parallel and every
 * chunk is one more round of them. Messages stored by this invocation are remembered, so
 * that when a failed batch is retried message by message, they are not stored again.
 */
export function storeWithinTime<M extends { ingestId: string }>(budget: TimeBudget<M>): (messages: M[]) => Promise<void> {
  const stored = new Set<string>();
  let slowestUnitMs: number | undefined;
  return async (messages) => {
    const pending = messages.filter((m) => !stored.has(m.ingestId));
    for (let i = 0; i < pending.length; ) {
      const left = budget.deadline - Date.now() - RESERVE_MS;
      let chunk = within(pending.slice(i), left / (MARGIN * (slowestUnitMs ?? budget.assumedUnitMs)), budget.workOf);
      // Until a chunk has measured the work, the first message goes whatever the assumption
      // says of it: a message bigger than the assumed time left would otherwise never be tried.
      if (chunk.length === 0 && slowestUnitMs === undefined && left > 0) chunk = pending.slice(i, i + 1);
      if (chunk.length === 0) throw new TimeBudgetError(`${pending.length - i} messages not stored with ${left + RESERVE_MS} ms left: they return to the queue`);
      const started = Date.now();
      await budget.storeChunk(chunk);
      const units = chunk.reduce((n, m) => n + budget.workOf(m), 0);
      slowestUnitMs = Math.max(slowestUnitMs ?? 0, (Date.now() - started) / Math.max(1, units));
      for (const m of chunk) stored.add(m.ingestId);
      i += chunk.length;
    }
  };
}

/** The first messages whose work adds up to at most `units`. */
function within<M>(messages: M[], units: number, workOf: (message: M) => number): M[] {
  let total = 0;
  let count = 0;
  for (const m of messages) {
    total += workOf(m);
    if (total > units) break;
    count++;
  }
  return messages.slice(0, count);
}
