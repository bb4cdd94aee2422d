import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeNotification, type Encoding } from '../../functions/notifications/decode.ts';
import { normalizeNotification } from '../../functions/notifications/notification.ts';
import { deviceReadings, historyCursor, notificationItems, sortKey } from '../../functions/notifications/storage.ts';
import type { Envelope } from '../../functions/shared/queue-envelope.ts';
import { rejection } from '../helpers/rejection.ts';

const NC = 'urn:ietf:params:xml:ns:netconf:notification:1.0';
const IF = 'urn:ietf:params:xml:ns:yang:ietf-interfaces';
const seedJson = readFileSync('events/notifications/seed-interfaces.json', 'utf8');
const seedXml = readFileSync('events/notifications/seed-interfaces.xml', 'utf8');
/** RFC 5277 root, RFC 8343 interfaces in their namespace, one interface eth0 (if-index 2). */
const singleXml = readFileSync('events/notifications/rfc8343-single.xml', 'utf8');
const singleJson = readFileSync('events/notifications/rfc8343.json', 'utf8');

const normalize = (text: string, encoding: Encoding) => normalizeNotification(decodeNotification(text, encoding), encoding);
const decodeXml = (text: string) => decodeNotification(text, 'xml');

/** rfc8343.json with eth0's leaves changed (undefined removes one). */
function singleJsonWith(leaves: Record<string, unknown>, eventTime?: string): string {
  const n = JSON.parse(singleJson);
  const content = n['ietf-https-notif:notification'];
  if (eventTime !== undefined) content.eventTime = eventTime;
  Object.assign(content['ietf-interfaces:interfaces'].interface[0], leaves);
  return JSON.stringify(n);
}

/** rfc8343-single.xml with eth0's `<name>` replaced by the given markup (more leaves may follow it). */
const singleXmlWith = (markup: string) => singleXml.replace('<name>eth0</name>', markup);

describe('leap seconds (RFC 3339 second 60)', () => {
  const leap = '2016-12-31T23:59:60Z';
  const leapXml = singleXml.replace(/<eventTime>[^<]*<\/eventTime>/, `<eventTime>${leap}</eventTime>`);
  const leapJson = singleJsonWith({}, leap);

  it('accepts second 60 at the end of a UTC month, in JSON and XML alike', () => {
    const json = normalize(leapJson, 'json');
    expect(json.eventTime).toBe(leap);
    expect(normalize(leapXml, 'xml')).toEqual(json);
    for (const time of ['2016-12-31T15:59:60-08:00', '2017-01-01T05:29:60.5+05:30', '2015-06-30T23:59:60.123456Z']) {
      expect(normalize(singleJsonWith({}, time), 'json').eventTime).toBe(time);
    }
    const discontinuity = JSON.parse(singleJson);
    discontinuity['ietf-https-notif:notification']['ietf-interfaces:interfaces'].interface[0].statistics['discontinuity-time'] = leap;
    expect(normalize(JSON.stringify(discontinuity), 'json').interfaces?.[0]?.statistics['discontinuity-time']).toBe(leap);
  });

  it.each([
    ['second 60 in the middle of a day', '2025-03-17T10:15:60Z', /leap second/],
    ['second 60 at the end of a day that ends no month', '2016-12-30T23:59:60Z', /leap second/],
    ['second 60 one minute early', '2016-12-31T23:58:60Z', /leap second/],
    ['second 61', '2016-12-31T23:59:61Z', /date and time that exists/],
  ])('refuses %s', (_, time, message) => {
    const error = rejection(() => normalize(singleJsonWith({}, time), 'json'));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(new RegExp(`eventTime .*${message.source}`));
  });

  const envelope = { ingestId: 'ingest-1' } as Envelope;

  it('stores the leap second as 23:59:59.999 of its minute: keys sort between the seconds around it, whatever the offset', () => {
    expect(sortKey(leap, 'i', 0)).toBe('2016-12-31T23:59:59.999Z#i#0');
    expect(sortKey('2016-12-31T15:59:60-08:00', 'i', 0)).toBe(sortKey(leap, 'i', 0));
    expect(sortKey('2016-12-31T23:59:60.7Z', 'i', 0)).toBe(sortKey(leap, 'i', 0));
    const around = ['2017-01-01T00:00:00Z', leap, '2016-12-31T23:59:59.5Z'].map((t) => sortKey(t, 'i', 0));
    expect([...around].sort()).toEqual([around[2], around[1], around[0]]);
    expect(historyCursor.decode(historyCursor.encode(sortKey(leap, 'ingest-1', 0)))).toBe(sortKey(leap, 'ingest-1', 0));
  });

  it('gives the same keys and device readings for the JSON and the XML form, so a repeat is the same reading', () => {
    const json = normalize(leapJson, 'json');
    const xml = normalize(leapXml, 'xml');
    const keys = (n: typeof json) => notificationItems(envelope, n, 0, 4, 0).map((item) => `${item.pk} ${item.sk}`);
    expect(keys(xml)).toEqual(keys(json));
    expect(keys(json)[0]).toMatch(/ 2016-12-31T23:59:59\.999Z#ingest-1#0$/);
    expect(deviceReadings(xml)).toEqual(deviceReadings(json));
    expect(deviceReadings(json).map((r) => r.eventTime)).toEqual(['2016-12-31T23:59:59.999Z']);
  });
});
