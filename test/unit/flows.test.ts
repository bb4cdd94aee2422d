import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseFlowRecords } from '../../functions/flows/flow-schema.ts';
import { flowKey } from '../../functions/flows/storage.ts';
import { parseVpcFlowLogs } from '../../functions/flows/vpc-flow-logs.ts';
import { rejection } from '../helpers/rejection.ts';

const valid = { src_app: 'foo', dest_app: 'bar', vpc_id: 'vpc-0', bytes_tx: 100, bytes_rx: 300, hour: 1 };

describe('flow record validation', () => {
  it('accepts the seed example', () => {
    expect(parseFlowRecords(JSON.parse(readFileSync('events/flows/seed-example.json', 'utf8')))).toHaveLength(5);
  });

  it.each([
    ['src_app', ''],
    ['dest_app', ''],
    ['vpc_id', ''],
    ['src_app', 'x'.repeat(257)],
    ['src_app', 7],
    ['vpc_id', null],
    ['bytes_tx', '100'],
    ['bytes_rx', '300'],
    ['hour', '1'],
    ['bytes_tx', -1],
    ['bytes_rx', -5],
    ['hour', -1],
    ['hour', 1.5],
    ['bytes_tx', 2.25],
    ['bytes_rx', 2 ** 60],
  ])('rejects %s = %j, naming record and field', (field, value) => {
    const error = rejection(() => parseFlowRecords([valid, { ...valid, [field]: value }]));
    expect(error.status).toBe(400);
    expect(error.details[0]).toMatchObject({ record: 1, field });
    expect(error.message).toMatch(new RegExp(`^record 1 field ${field}`));
  });

  it.each([
    ['100', 'received the string "100"'],
    [2.25, 'received the fraction 2.25'],
    [null, 'received null'],
    [true, 'received a boolean'],
    [[1], 'received an array'],
  ])('says what a byte count of %j is, and what it must be', (value, received) => {
    const { message } = rejection(() => parseFlowRecords([{ ...valid, bytes_tx: value }])).details[0] ?? {};
    expect(message).toBe(`expected a JSON integer from 0 to 18446744073709551615, ${received}`);
  });

  it('says a negative byte count may not be', () => {
    expect(rejection(() => parseFlowRecords([{ ...valid, bytes_rx: -5 }])).details[0]?.message).toBe('may not be negative');
  });

  it.each(['src_app', 'dest_app', 'vpc_id', 'bytes_tx', 'bytes_rx', 'hour'])('rejects a record without %s', (field) => {
    const { [field as keyof typeof valid]: _removed, ...rest } = valid;
    expect(rejection(() => parseFlowRecords([rest])).details[0]).toMatchObject({ record: 0, field });
  });

  it('rejects unknown fields', () => {
    expect(rejection(() => parseFlowRecords([{ ...valid, colour: 'red' }])).details[0]).toMatchObject({ record: 0, field: 'colour' });
  });

  it.each([[{}], [null], [[]], ['flows'], [42]])('rejects %j instead of a non-empty array', (body) => {
    expect(rejection(() => parseFlowRecords(body)).status).toBe(400);
  });

  it('rejects a lone surrogate, which no key can hold', () => {
    expect(rejection(() => parseFlowRecords([{ ...valid, src_app: 'a\ud800' }])).details[0]).toMatchObject({ record: 0, field: 'src_app' });
  });

  it("keeps keys within DynamoDB's 1024-byte limit, long names included", () => {
    const long = { src_app: '😀'.repeat(128), dest_app: '😀'.repeat(128), vpc_id: '😀'.repeat(128) };
    expect(Buffer.byteLength(flowKey(long))).toBeLessThanOrEqual(1024);
    expect(flowKey(long)).not.toBe(flowKey({ ...long, vpc_id: '😀'.repeat(127) }));
  });

  it('keeps apart app pairs that concatenate alike', () => {
    expect(flowKey({ src_app: 'ab', dest_app: 'c', vpc_id: 'v' })).not.toBe(flowKey({ src_app: 'a', dest_app: 'bc', vpc_id: 'v' }));
    expect(flowKey({ src_app: 'a|b', dest_app: 'c', vpc_id: 'v' })).not.toBe(flowKey({ src_app: 'a', dest_app: 'b|c', vpc_id: 'v' }));
    expect(flowKey({ src_app: 'a%7Cb', dest_app: 'c', vpc_id: 'v' })).not.toBe(flowKey({ src_app: 'a|b', dest_app: 'c', vpc_id: 'v' }));
  });
});

describe('AWS VPC Flow Logs', () => {
  it('reads the default format, skipping and counting NODATA and SKIPDATA', () => {
    const { records, skipped } = parseVpcFlowLogs(readFileSync('events/flows/vpc-default.txt', 'utf8'));
    expect(skipped).toBe(2);
    expect(records).toEqual([
      { src_app: '172.31.16.139', dest_app: '172.31.16.21', vpc_id: 'eni-1235b8ca123456789', bytes_tx: 4249, bytes_rx: 0, hour: 394036 },
      { src_app: '172.31.9.69', dest_app: '172.31.9.12', vpc_id: 'eni-1235b8ca123456789', bytes_tx: 4249, bytes_rx: 0, hour: 394036 },
      { src_app: '172.31.16.139', dest_app: '172.31.16.21', vpc_id: 'eni-1235b8ca123456789', bytes_tx: 1751, bytes_rx: 0, hour: 394036 },
    ]);
  });

  it('reads a custom format named by a header line, preferring vpc-id', () => {
    const { records, skipped } = parseVpcFlowLogs(readFileSync('events/flows/vpc-custom.txt', 'utf8'));
    expect(skipped).toBe(1);
    expect(records).toEqual([
      { src_app: '10.0.1.5', dest_app: '10.0.0.220', vpc_id: 'vpc-0a1b2c3d', bytes_tx: 3021, bytes_rx: 0, hour: 394036 },
      { src_app: '10.0.0.220', dest_app: '10.0.1.5', vpc_id: 'vpc-0a1b2c3d', bytes_tx: 1840, bytes_rx: 0, hour: 394036 },
    ]);
  });

  it('names a line with the wrong field count', () => {
    const error = rejection(() => parseVpcFlowLogs('2 123 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 100 3600 3660 ACCEPT OK\n2 123 eni-1 10.0.0.1\n'));
    expect(error.details[0]).toMatchObject({ line: 2, message: 'expected 14 fields, got 4' });
  });

  it('names a line with "-" in a field a kept record needs', () => {
    const error = rejection(() => parseVpcFlowLogs('2 123 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 - 3600 3660 ACCEPT OK'));
    expect(error.details[0]).toMatchObject({ line: 1, field: 'bytes' });
    const noSource = rejection(() => parseVpcFlowLogs('2 123 eni-1 - 10.0.0.2 1 2 6 1 10 3600 3660 ACCEPT OK'));
    expect(noSource.details[0]).toMatchObject({ line: 1, field: 'srcaddr' });
  });

  it('names a non-integer in bytes or start', () => {
    expect(rejection(() => parseVpcFlowLogs('2 123 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1e3 3600 3660 ACCEPT OK')).details[0]).toMatchObject({ field: 'bytes' });
  });

  it('refuses a header that lacks what a flow record needs', () => {
    const error = rejection(() => parseVpcFlowLogs('version srcaddr dstaddr bytes\n2 1.1.1.1 2.2.2.2 10'));
    expect(error.message).toMatch(/header lacks start, vpc-id or interface-id/);
  });
});
