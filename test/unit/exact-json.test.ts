import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mayHoldBigInteger, parseJson } from '../../functions/shared/json.ts';
import { parseUntrustedJson } from '../../functions/shared/request-json.ts';

const SIXTEEN_DIGITS = /\d{16}/;

describe('JSON with exact integers', () => {
  it('looks for a run of 16 digits exactly where a regular expression finds one', () => {
    // Mostly digits, so that runs of every length around 16 start at every offset.
    const digitsAndBreaks = fc.string({ unit: fc.constantFrom('0', '1', '5', '9', '9', '9', '9', '9', '.', '"', 'x'), maxLength: 200 });
    fc.assert(
      fc.property(fc.oneof(digitsAndBreaks, fc.string({ maxLength: 200 })), (text) => {
        expect(mayHoldBigInteger(text)).toBe(SIXTEEN_DIGITS.test(text));
      }),
      { numRuns: 5_000 },
    );
    for (let offset = 0; offset < 40; offset++) {
      expect(mayHoldBigInteger(`${'x'.repeat(offset)}${'9'.repeat(16)}`)).toBe(true);
      expect(mayHoldBigInteger(`${'x'.repeat(offset)}${'9'.repeat(15)}x${'9'.repeat(15)}`)).toBe(false);
      // A shorter run first, then one character, then exactly 16 digits.
      for (let short = 1; short < 16; short++) expect(mayHoldBigInteger(`${'x'.repeat(offset)}${'1'.repeat(short)}.${'9'.repeat(16)}`)).toBe(true);
    }
  });

  it('keeps integers past 2^53 exact and leaves the rest as numbers', () => {
    const text = '{"max":18446744073709551615,"unsafe":9007199254740993,"safe":9007199254740991,"time":1700000000.123,"big":1e300}';
    for (const parse of [parseJson, parseUntrustedJson]) {
      expect(parse(text)).toEqual({ max: 18446744073709551615n, unsafe: 9007199254740993n, safe: 9007199254740991, time: 1700000000.123, big: 1e300 });
    }
    expect(parseJson('[-9007199254740993]')).toEqual([-9007199254740993n]);
  });
});
