import { readFileSync } from 'node:fs';
import { XMLBuilder } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { decodeNotification, encodingOf, type Encoding } from '../../functions/notifications/decode.ts';
import { negotiateEncoding } from '../../functions/notifications/capabilities.ts';
import { normalizeNotification } from '../../functions/notifications/notification.ts';
import { rejection } from '../helpers/rejection.ts';

const seedJson = readFileSync('events/notifications/seed-interfaces.json', 'utf8');
const seedXml = readFileSync('events/notifications/seed-interfaces.xml', 'utf8');

const normalize = (text: string, encoding: Encoding) => normalizeNotification(decodeNotification(text, encoding), encoding);

/** The same notification in XML, written from its JSON form the way a publisher would. */
function toXml(json: string): string {
  const content = JSON.parse(json)['ietf-https-notif:notification'];
  const builder = new XMLBuilder({ format: true, suppressEmptyNode: false });
  return builder.build({ 'ietf-https-notif:notification': content });
}

describe('notification decoding and normalisation', () => {
  it("accepts the seed's JSON and XML examples as they are", () => {
    const json = normalize(seedJson, 'json');
    const xml = normalize(seedXml, 'xml');
    expect(json.interfaces).toHaveLength(7);
    expect(xml.interfaces).toHaveLength(7);
    expect(xml.interfaces?.[0]).toMatchObject({ name: 'wlp2s0', enabled: true, 'if-index': 2, statistics: { 'in-octets': '2005896840', 'in-discards': 30220 } });
  });

  it('stores identical data whichever encoding the same notification came in', () => {
    expect(normalize(toXml(seedJson), 'xml')).toEqual(normalize(seedJson, 'json'));
    const single = normalize(readFileSync('events/notifications/rfc8343-single.xml', 'utf8'), 'xml');
    expect(single).toEqual(normalize(readFileSync('events/notifications/rfc8343.json', 'utf8'), 'json'));
    expect(single.interfaces).toHaveLength(1);
  });

  it('keeps lexical values: counter64 stays a decimal string, counter32 becomes a number', () => {
    const [wlp] = normalize(seedJson, 'json').interfaces ?? [];
    expect(wlp?.statistics['in-octets']).toBe('1592834446');
    expect(wlp?.statistics['in-discards']).toBe(24880);
    expect(wlp?.speed).toBe('0');
  });

  it('accepts other YANG-push content and stores it as it came', () => {
    const other = normalize(readFileSync('events/notifications/yang-push-other.json', 'utf8'), 'json');
    expect(other.interfaces).toBeUndefined();
    expect(other.content).toMatchObject({ 'ietf-yang-push:push-update': { id: 1011 } });
  });

  const seed = () => JSON.parse(seedJson) as { 'ietf-https-notif:notification': { eventTime: string; interface_data: { interface: Record<string, any>[] } } };
  const withChange = (change: (n: ReturnType<typeof seed>) => void) => {
    const n = seed();
    change(n);
    return JSON.stringify(n);
  };
  const first = (n: ReturnType<typeof seed>) => n['ietf-https-notif:notification'].interface_data.interface[0] as Record<string, any>;

  const invalid: [string, string, RegExp][] = [
    ...['name', 'type', 'admin-status', 'oper-status', 'if-index'].map(
      (leaf): [string, string, RegExp] => [`missing ${leaf}`, withChange((n) => delete first(n)[leaf]), new RegExp(`interface\\[(wlp2s0|0)\\]\\.${leaf}`)],
    ),
    ['missing statistics', withChange((n) => delete first(n).statistics), /interface\[wlp2s0\]\.statistics/],
    ['missing discontinuity-time', withChange((n) => delete first(n).statistics['discontinuity-time']), /statistics\/discontinuity-time/],
    ['missing eventTime', withChange((n) => delete (n['ietf-https-notif:notification'] as Record<string, unknown>).eventTime), /eventTime is missing/],
    ['a bad date-and-time', withChange((n) => (n['ietf-https-notif:notification'].eventTime = '2025-03-17 19:43:27')), /eventTime .*date-and-time/],
    ['a bad discontinuity-time', withChange((n) => (first(n).statistics['discontinuity-time'] = 'yesterday')), /discontinuity-time is not a date-and-time/],
    ['a bad phys-address', withChange((n) => (first(n)['phys-address'] = '3c:91:80:2b:68:2')), /interface\[wlp2s0\]\.phys-address/],
    ['counter64 above 2^64-1', withChange((n) => (first(n).statistics['in-octets'] = '18446744073709551616')), /in-octets .*18446744073709551615/],
    ['a negative counter64', withChange((n) => (first(n).statistics['out-octets'] = '-1')), /out-octets/],
    ['counter32 as text in JSON', withChange((n) => (first(n).statistics['in-errors'] = '0')), /in-errors/],
    ['if-index 0', withChange((n) => (first(n)['if-index'] = 0)), /if-index must be at least 1/],
    ['if-index above 2147483647', withChange((n) => (first(n)['if-index'] = 2147483648)), /if-index must be at most 2147483647/],
    ['an unknown admin-status', withChange((n) => (first(n)['admin-status'] = 'sleeping')), /admin-status/],
    ['an unknown oper-status', withChange((n) => (first(n)['oper-status'] = 'sleeping')), /oper-status/],
    ['a lower-layer-if naming no interface here', withChange((n) => (first(n)['lower-layer-if'] = ['eth9'])), /lower-layer-if names "eth9"/],
    ['a wrong root', JSON.stringify({ notification: {} }), /root must be "ietf-https-notif:notification"/],
    ['an array', '[1]', /JSON object/],
  ];
  it.each(invalid)('400 for %s, naming the interface and leaf', (_, body, message) => {
    const error = rejection(() => normalize(body, 'json'));
    expect(error.status).toBe(400);
    expect(`${error.message} ${JSON.stringify(error.details)}`).toMatch(message);
  });

  it.each([
    ['broken JSON', '{"ietf-https-notif:notification": {', 'json', 415, /not valid JSON/],
    ['__proto__ keys', '{"__proto__": {"x": 1}, "ietf-https-notif:notification": {}}', 'json', 400, /forbidden key/],
    ['broken XML', '<ietf-https-notif:notification><eventTime>x</eventTime>', 'xml', 415, /not well-formed XML/],
    ['mismatched XML tags', '<ietf-https-notif:notification><eventTime>x</time></ietf-https-notif:notification>', 'xml', 415, /not well-formed/],
    ['an entity bomb', '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><ietf-https-notif:notification><eventTime>&lol2;</eventTime></ietf-https-notif:notification>', 'xml', 400, /DOCTYPE and entity declarations are not allowed/],
    ['an external entity', '<?xml version="1.0"?><!DOCTYPE n [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><ietf-https-notif:notification><eventTime>&xxe;</eventTime></ietf-https-notif:notification>', 'xml', 400, /DOCTYPE/],
    ['a wrong XML root', '<notify><eventTime>2025-03-17T19:43:27Z</eventTime></notify>', 'xml', 400, /root must be/],
    ['a notification root in another namespace', '<notification xmlns="urn:example"><eventTime>2025-03-17T19:43:27Z</eventTime></notification>', 'xml', 400, /root must be/],
    ['an XML if-index that is not a number', seedXml.replace('<if-index>2</if-index>', '<if-index>two</if-index>'), 'xml', 400, /interface\[wlp2s0\]\.if-index is not an interface index/],
  ] as const)('%s -> %i', (_, body, encoding, status, message) => {
    const error = rejection(() => normalize(body, encoding));
    expect(error.status).toBe(status);
    expect(error.message).toMatch(message);
  });

  it.each([
    ['application/json', 'json'],
    ['application/yang-data+json', 'json'],
    ['application/xml', 'xml'],
    ['application/yang-data+xml', 'xml'],
  ] as const)('takes %s', (type, encoding) => expect(encodingOf(type)).toBe(encoding));

  it.each([undefined, 'text/plain', 'text/xml', 'application/octet-stream'])('415 for Content-Type %s', (type) => {
    expect(rejection(() => encodingOf(type)).status).toBe(415);
  });
});

describe('capabilities negotiation', () => {
  it.each([
    [undefined, 'xml'],
    ['', 'xml'],
    ['*/*', 'xml'],
    ['text/html', 'xml'],
    ['application/json', 'json'],
    ['application/yang-data+json', 'json'],
    ['application/xml', 'xml'],
    ['application/json;q=0.5, application/xml', 'xml'],
    ['application/json;q=0.9, application/xml;q=0.8', 'json'],
    ['application/json, application/xml', 'xml'],
    ['application/json;q=2', 'xml'],
    ['application/json;q=1.5, application/xml;q=0.1', 'xml'],
    ['application/xml;q=0, application/json;q=0.1', 'json'],
    ['application/*;q=0.3, application/json;q=0.6', 'json'],
    ['application/yang-data+json;q=0.8, */*;q=0.1', 'json'],
  ] as const)('Accept %j -> %s', (accept, encoding) => {
    expect(negotiateEncoding(accept)).toBe(encoding);
  });
});

describe("the draft's reference publisher", () => {
  it('sends "speed": null for an interface whose kernel reports no speed: accepted, the leaf left out', () => {
    const body = JSON.parse(seedJson);
    body['ietf-https-notif:notification'].interface_data.interface[0].speed = null;
    const notification = normalize(JSON.stringify(body), 'json');
    expect(notification.interfaces?.[0]).not.toHaveProperty('speed');
  });
});

describe('a notification carrying interface statistics and more', () => {
  const json = readFileSync('events/notifications/rfc8343.json', 'utf8');
  const xml = readFileSync('events/notifications/rfc8343-single.xml', 'utf8');
  const system = { 'example-system:system-state': { 'cpu-load': 17, uptime: '2d' } };

  it('keeps what else it carries beside the interfaces, as it came, in JSON and XML alike', () => {
    const document = JSON.parse(json) as Record<string, Record<string, unknown>>;
    Object.assign(document['ietf-https-notif:notification'] as object, system);
    const fromJson = normalize(JSON.stringify(document), 'json');
    expect(fromJson.interfaces?.length).toBeGreaterThan(0);
    expect(fromJson.content).toEqual(system);
    const fromXml = normalize(xml.replace('</notification>', '<system-state xmlns="urn:example:system"><cpu-load>17</cpu-load><uptime>2d</uptime></system-state></notification>'), 'xml');
    expect(fromXml.interfaces?.[0]?.name).toBe('eth0');
    expect(fromXml.content).toEqual({ 'system-state': { 'cpu-load': '17', uptime: '2d' } });
  });

  it('has no content when the interfaces are all it carries', () => {
    expect(normalize(json, 'json').content).toBeUndefined();
  });
});
