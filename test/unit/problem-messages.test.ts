import { describe, expect, it } from 'vitest';
import { invalidRecords } from '../../functions/shared/errors.ts';
import { assertStorable } from '../../functions/shared/storable.ts';
import { parseVpcFlowLogs } from '../../functions/flows/vpc-flow-logs.ts';
import { normalizeNotification } from '../../functions/notifications/notification.ts';
import { rejection } from '../helpers/rejection.ts';

describe('the first problem becomes the 400 message', () => {
  it('names the record, the line, the field, or the whole the problem is in', () => {
    expect(invalidRecords([{ record: 2, field: 'a', message: 'is bad' }]).message).toBe('record 2 field a: is bad');
    expect(invalidRecords([{ line: 7, message: 'is bad' }], 'line').message).toBe('line 7: is bad');
    expect(invalidRecords([{ field: 'eventTime', message: 'is missing' }], 'field').message).toBe('eventTime is missing');
    expect(invalidRecords([{ message: 'is bad' }], 'field').message).toBe('is bad');
    expect(invalidRecords([{ field: 'a.b', message: 'is bad' }], { within: 'the notification' }).message).toBe('the notification field a.b: is bad');
    expect(invalidRecords([{ message: 'is bad' }], { within: 'request body' }).message).toBe('request body: is bad');
  });

  it('what a table cannot store: by record in an array body, else within what was checked', () => {
    const inArray = rejection(() => assertStorable([{}, { a: { b: Number.POSITIVE_INFINITY } }], 'request body', true));
    expect(inArray.status).toBe(400);
    expect(inArray.message).toMatch(/^record 1 field a\.b: is a number beyond/);
    expect(inArray.details).toEqual([{ record: 1, field: 'a.b', message: expect.stringMatching(/^is a number beyond/) }]);
    const inObject = rejection(() => assertStorable({ a: '\ud800' }, 'the notification'));
    expect(inObject.message).toBe('the notification field a: is not well-formed Unicode (a lone surrogate)');
    expect(inObject.details).toEqual([{ field: 'a', message: 'is not well-formed Unicode (a lone surrogate)' }]);
  });

  it('of several parts a table cannot store, the first in the document is named', () => {
    const body = [{ ok: 1 }, { a: { b: '\ud800', c: Number.NaN }, d: [1, Number.POSITIVE_INFINITY] }, { e: Number.NaN }];
    expect(rejection(() => assertStorable(body, 'request body', true)).message).toBe('record 1 field a.b: is not well-formed Unicode (a lone surrogate)');
    expect(rejection(() => assertStorable({ x: [0, { '': 1 }], y: Number.NaN })).message).toBe('request body field x.1.: is an empty member name');
    const longName = 'é'.repeat(40_000); // 40,000 UTF-16 units, 80,000 bytes of UTF-8
    expect(rejection(() => assertStorable({ [longName]: 1 })).message).toMatch(/is a member name longer than 65535 bytes$/);
    expect(() => assertStorable({ ['a'.repeat(65_535)]: 1 })).not.toThrow();
  });

  it('a VPC Flow Logs header that lacks fields names its line and the first field missing', () => {
    const error = rejection(() => parseVpcFlowLogs('version srcaddr dstaddr bytes\n2 1.1.1.1 2.2.2.2 10'));
    expect(error.status).toBe(400);
    expect(error.message).toBe('line 1 field start: the header lacks start, vpc-id or interface-id, which a flow record needs');
    expect(error.details).toEqual([{ line: 1, field: 'start', message: 'the header lacks start, vpc-id or interface-id, which a flow record needs' }]);
  });

  it("a notification's eventTime: the detail says what is wrong with it", () => {
    const missing = rejection(() => normalizeNotification({}, 'json'));
    expect(missing.message).toBe('eventTime is missing');
    expect(missing.details).toEqual([{ field: 'eventTime', message: 'is missing' }]);
    const malformed = rejection(() => normalizeNotification({ eventTime: 'yesterday' }, 'json'));
    expect(malformed.message).toMatch(/^eventTime is not a date-and-time/);
    expect(malformed.details).toEqual([{ field: 'eventTime', message: expect.stringMatching(/^is not a date-and-time/) }]);
  });
});
