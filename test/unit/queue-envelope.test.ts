import { describe, expect, it } from 'vitest';
import { parseEnvelope } from '../../functions/shared/queue-envelope.ts';
import { HttpError } from '../../functions/shared/errors.ts';
import { packRecords, serializeForQueue } from '../../functions/shared/queue-envelope.ts';

const ids = () => {
  let n = 0;
  return () => `id-${n++}`;
};

describe('packing records into queue messages', () => {
  it('fills each message up to the byte limit and never past it', () => {
    const records = Array.from({ length: 500 }, (_, i) => ({ n: i, pad: 'x'.repeat(90) }));
    const maxBytes = 4_096;
    const messages = packRecords('packets', records, { maxBytes, newId: ids(), receivedAt: 1 });
    for (const message of messages) expect(Buffer.byteLength(message.body)).toBeLessThanOrEqual(maxBytes);
    // Full messages: adding the next record would have crossed the limit.
    const recordBytes = Buffer.byteLength(JSON.stringify(records[0]));
    for (const message of messages.slice(0, -1)) expect(Buffer.byteLength(message.body) + recordBytes + 1).toBeGreaterThan(maxBytes);
    const unpacked = messages.flatMap((m) => parseEnvelope(m.body, 'packets').records);
    expect(unpacked).toEqual(records);
    expect(messages.map((m) => m.records).reduce((a, b) => a + b)).toBe(500);
  });

  it('puts a record of exactly the remaining room into one message', () => {
    const probe = packRecords('k', [{ s: '' }], { maxBytes: 10_000, newId: () => 'x', receivedAt: 1 })[0];
    const overhead = Buffer.byteLength(probe?.body ?? '') - Buffer.byteLength('{"s":""}');
    const exact = { s: 'y'.repeat(1_000 - overhead - Buffer.byteLength('{"s":""}')) };
    const [message, ...rest] = packRecords('k', [exact], { maxBytes: 1_000, newId: () => 'x', receivedAt: 1 });
    expect(rest).toHaveLength(0);
    expect(Buffer.byteLength(message?.body ?? '')).toBe(1_000);
    expect(() => packRecords('k', [{ s: `${exact.s}y` }], { maxBytes: 1_000, newId: () => 'x', receivedAt: 1 })).toThrow(HttpError);
  });

  it('names a record that cannot fit in any message (413)', () => {
    try {
      packRecords('k', [{ a: 1 }, { big: 'z'.repeat(5_000) }], { maxBytes: 1_000 });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(HttpError);
      expect((error as HttpError).status).toBe(413);
      expect((error as HttpError).message).toContain('record 1');
    }
  });

  it('gives every message its own ingest id', () => {
    const messages = packRecords('k', Array.from({ length: 50 }, () => ({ pad: 'p'.repeat(100) })), { maxBytes: 1_000 });
    expect(new Set(messages.map((m) => m.ingestId)).size).toBe(messages.length);
    expect(messages.length).toBeGreaterThan(1);
  });

  it('escapes the characters SQS refuses and keeps the JSON equal', () => {
    const value = { s: 'a\uffffb\ufffe' };
    const text = serializeForQueue(value);
    expect(text).not.toMatch(/[\ufffe\uffff]/);
    expect(JSON.parse(text)).toEqual(value);
  });
});

describe('nesting', () => {
  it('refuses bodies nested deeper than a table can store, without recursion', async () => {
    const { assertStorable, MAX_NESTING } = await import('../../functions/shared/storable.ts');
    const nested = (depth: number) => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`);
    expect(() => assertStorable(nested(MAX_NESTING))).not.toThrow();
    expect(() => assertStorable(nested(MAX_NESTING + 1))).toThrow(/nests deeper than 16 levels/);
    expect(() => assertStorable(nested(100_000))).toThrow(HttpError);
  });
});
