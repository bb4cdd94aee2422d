import { describe, expect, it } from 'vitest';
import { MAX_RECORD_ITEM_BYTES, storedBytes, unstorablePart } from '../../functions/shared/storable.ts';

/** Lists nested `depth` deep in a list: 2 (depth + 1) bytes of JSON, 3 + 4 depth as an item. */
const nestedLists = (depth: number): unknown => (depth === 0 ? [] : [nestedLists(depth - 1)]);

describe('what a table can hold, checked before anything is queued', () => {
  it('sizes a value as DynamoDB sizes an item', () => {
    expect(storedBytes('héllo')).toBe(6);
    expect(storedBytes(null)).toBe(1);
    expect(storedBytes(true)).toBe(1);
    // 1 byte per two significant digits, plus 1; leading and trailing zeros are not digits.
    expect(storedBytes(12345)).toBe(4);
    expect(storedBytes(1200)).toBe(2);
    expect(storedBytes(-0.0012)).toBe(2);
    expect(storedBytes(18446744073709551615n)).toBe(11);
    // 3 bytes a list or map, 1 each element, plus member names.
    expect(storedBytes([])).toBe(3);
    expect(storedBytes([[]])).toBe(7);
    expect(storedBytes({ ab: 'c', d: [null] })).toBe(3 + (1 + 2 + 1) + (1 + 1 + 3 + 1 + 1));
  });

  it('refuses integers of a magnitude a table cannot hold, however few their digits', () => {
    expect(unstorablePart({ a: 10n ** 130n })).toEqual({ path: ['a'], message: expect.stringContaining('beyond the range') });
    expect(unstorablePart({ a: -(10n ** 126n) })).toEqual({ path: ['a'], message: expect.stringContaining('beyond the range') });
    expect(unstorablePart({ a: 10n ** 125n, b: -(10n ** 126n) + 1n })).toEqual({ path: ['b'], message: expect.stringContaining('significant digits') });
    expect(unstorablePart({ a: 99999n * 10n ** 121n })).toBeUndefined();
  });

  it('refuses a record heavier than an item can be, naming the record, and only that one', () => {
    // About 225 KB of JSON, 1.9x that as an item: what a packet's free-form field can nest.
    const heavy = { CDP: { x: Array.from({ length: 9_000 }, () => nestedLists(11)) } };
    expect(storedBytes(heavy)).toBeGreaterThan(400 * 1024);
    expect(JSON.stringify(heavy).length).toBeLessThan(256 * 1024);
    const light = { CDP: { x: 'y'.repeat(300_000) } };
    expect(unstorablePart([light, heavy, light], true)).toEqual({ path: [1], message: expect.stringMatching(/^is \d+ KB as a table item .* more than the 396 KB a record can be$/) });
    expect(unstorablePart([light, light], true)).toBeUndefined();
    // A record is at most the limit; one byte more is refused.
    const atLimit = { x: 'z'.repeat(MAX_RECORD_ITEM_BYTES - storedBytes({ x: '' })) };
    expect(storedBytes(atLimit)).toBe(MAX_RECORD_ITEM_BYTES);
    expect(unstorablePart(atLimit)).toBeUndefined();
    expect(unstorablePart({ ...atLimit, y: null })).toEqual({ path: [], message: expect.stringContaining('as a table item') });
  });

  it('weighs text as UTF-8, not as the bound it starts from', () => {
    // 130,000 characters of three UTF-8 bytes each is 390,000 bytes; of one byte, 130,000.
    expect(unstorablePart({ x: '€'.repeat(140_000) })).toEqual({ path: [], message: expect.stringContaining('as a table item') });
    expect(unstorablePart({ x: 'e'.repeat(140_000) })).toBeUndefined();
  });
});
