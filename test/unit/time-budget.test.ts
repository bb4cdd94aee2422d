import { describe, expect, it } from 'vitest';
import { TimeBudgetError } from '../../functions/shared/sqs-batch.ts';
import { storeWithinTime } from '../../functions/shared/time-budget.ts';

type Message = { ingestId: string; work: number };
const messages = (...work: number[]): Message[] => work.map((w, i) => ({ ingestId: `m${i}`, work: w }));

/** A store whose chunks take `msPerUnit` of a clock the test moves, recording the chunks. */
function clockedStore(msPerUnit: number, leftMs: number) {
  let now = 1_000_000;
  const chunks: string[][] = [];
  const realNow = Date.now;
  Date.now = () => now;
  const store = storeWithinTime<Message>({
    deadline: now + leftMs,
    workOf: (m) => m.work,
    assumedUnitMs: 10,
    storeChunk: async (chunk) => {
      chunks.push(chunk.map((m) => m.ingestId));
      now += msPerUnit * chunk.reduce((n, m) => n + m.work, 0);
    },
  });
  return { store, chunks, restore: () => (Date.now = realNow) };
}

describe('storing within the time left', () => {
  it('takes as much work as the time covers, then measures and goes on', async () => {
    // 2 s kept back; 1,200 ms at 10 ms a unit (with the 1.2 margin) is 100 units.
    const { store, chunks, restore } = clockedStore(1, 3_200);
    try {
      await store(messages(60, 30, 30, 500));
      // The first chunk took 120 ms for 120 units: 1 ms a unit, and 1,080 ms left cover the rest.
      expect(chunks).toEqual([['m0', 'm1'], ['m2', 'm3']]);
    } finally {
      restore();
    }
  });

  it('hands back what the measured work says will not fit, and skips what it stored when retried', async () => {
    const { store, chunks, restore } = clockedStore(5, 2_600);
    try {
      // 600 ms: 50 units assumed; they take 250 ms, so 5 ms a unit and 350 ms left: 58 units.
      await expect(store(messages(50, 100, 10))).rejects.toBeInstanceOf(TimeBudgetError);
      expect(chunks).toEqual([['m0']]);
      // The batch retried message by message: m0 is not stored again, m1 still does not fit.
      await expect(store(messages(50))).resolves.toBeUndefined();
      await expect(store(messages(50, 100).slice(1))).rejects.toBeInstanceOf(TimeBudgetError);
      expect(chunks).toEqual([['m0']]);
    } finally {
      restore();
    }
  });

  it('tries a first message bigger than the assumed time, but nothing when no time is left', async () => {
    const big = clockedStore(1, 2_500);
    try {
      await big.store(messages(1_000));
      expect(big.chunks).toEqual([['m0']]);
    } finally {
      big.restore();
    }
    const none = clockedStore(1, 1_500);
    try {
      await expect(none.store(messages(1))).rejects.toBeInstanceOf(TimeBudgetError);
      expect(none.chunks).toEqual([]);
    } finally {
      none.restore();
    }
  });
});
