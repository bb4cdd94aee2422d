import * as z from 'zod';

/** The largest value of an unsigned 64-bit counter (YANG counter64). */
export const UINT64_MAX = 2n ** 64n - 1n;

/** A counter64 that is exact as a number: the part of counter64 JSON Schema can express. */
export const safeCounter64 = z.number().int().min(0, 'may not be negative').max(Number.MAX_SAFE_INTEGER);

/**
 * A JSON integer from 0 to 2^64 - 1: a number while it is exact, past 2^53 the bigint that
 * parseJson gives. DynamoDB numbers hold 38 digits, so such counters and their sums stay exact.
 */
export const counter64 = z.union([safeCounter64, z.bigint().min(0n, 'may not be negative').max(UINT64_MAX, `may not exceed ${UINT64_MAX}`)], {
  // zod's own message for a value neither branch takes is "Invalid input", which names nothing.
  error: (issue) => (issue.code === 'invalid_union' ? `expected a JSON integer from 0 to ${UINT64_MAX}, received ${described(issue.input)}` : undefined),
});

function described(input: unknown): string {
  if (input === null) return 'null';
  if (typeof input === 'number') return Number.isInteger(input) ? String(input) : `the fraction ${input}`;
  if (typeof input === 'string') return `the string ${JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}...` : input)}`;
  return Array.isArray(input) ? 'an array' : `a ${typeof input}`;
}
