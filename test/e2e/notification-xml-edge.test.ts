import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { TEST_API_KEY, eventually, getJson, startTestRuntime } from '../helpers/runtime.ts';

const NC = 'urn:ietf:params:xml:ns:netconf:notification:1.0';
const IF = 'urn:ietf:params:xml:ns:yang:ietf-interfaces';
/** RFC 5277 root, RFC 8343 interfaces, one interface eth0 with phys-address 52:54:00:12:34:56. */
const singleXml = readFileSync('events/notifications/rfc8343-single.xml', 'utf8');
const singleJson = readFileSync('events/notifications/rfc8343.json', 'utf8');

let runtime: LocalRuntime;
let base: string;

beforeAll(async () => {
  runtime = await startTestRuntime();
  base = runtime.url;
});
afterAll(async () => {
  await runtime?.stop();
});

async function post(body: string, contentType: string) {
  const response = await fetch(`${base}/relay-notification`, { method: 'POST', headers: { 'x-api-key': TEST_API_KEY, 'content-type': contentType }, body });
  return { status: response.status, text: await response.text() };
}

/** rfc8343-single.xml for the given device and time, eth0's octets set and its name markup replaced. */
function xml(mac: string, eventTime: string, inOctets: number, nameMarkup = '<name>eth0</name>'): string {
  return singleXml
    .replace(/<eventTime>[^<]*<\/eventTime>/, `<eventTime>${eventTime}</eventTime>`)
    .replace(/<phys-address>[^<]*<\/phys-address>/, `<phys-address>${mac}</phys-address>`)
    .replace(/<in-octets>[^<]*<\/in-octets>/, `<in-octets>${inOctets}</in-octets>`)
    .replace('<name>eth0</name>', nameMarkup);
}

/** rfc8343.json with the same changes, eth0's leaves merged in. */
function json(mac: string, eventTime: string, inOctets: number, leaves: Record<string, unknown> = {}): string {
  const n = JSON.parse(singleJson);
  n['ietf-https-notif:notification'].eventTime = eventTime;
  const eth0 = n['ietf-https-notif:notification']['ietf-interfaces:interfaces'].interface[0];
  Object.assign(eth0, { 'phys-address': mac, ...leaves });
  eth0.statistics['in-octets'] = String(inOctets);
  return JSON.stringify(n);
}

/** The stored notifications (newest first) whose eventTime is one of `times`, once `count` of them are listed. */
async function stored(times: string[], count: number) {
  return eventually(async () => {
    const { body } = await getJson(base, '/notifications?limit=500');
    const items = body.items.filter((n: { eventTime: string }) => times.includes(n.eventTime));
    return items.length === count ? items : undefined;
  }, 20_000, `${count} stored notifications`);
}

async function device(mac: string, ready: (view: any) => boolean) {
  return eventually(async () => {
    const { status, body } = await getJson(base, `/devices/${mac}`);
    return status === 200 && ready(body) ? body : undefined;
  }, 20_000, `device ${mac}`);
}

describe('XML notifications over HTTP: references, text, prefixes, attributes, leap seconds', () => {
  it('stores character references decoded, so the interface has its real name and index', async () => {
    const mac = '52:54:00:00:01:01';
    const body = xml(mac, '2026-02-01T10:00:00Z', 100, '<name>eth&#48;</name><description>R&amp;D &lt;lab&gt; &#x41;</description>').replace('<if-index>2</if-index>', '<if-index>&#49;</if-index>');
    expect(await post(body, 'application/yang-data+xml')).toEqual({ status: 204, text: '' });
    const [notification] = await stored(['2026-02-01T10:00:00Z'], 1);
    expect(notification.interfaces[0]).toMatchObject({ name: 'eth0', description: 'R&D <lab> A', 'if-index': 1 });
    const view = await device(mac, (v) => v.interfaces.length === 1);
    expect(view.interfaces[0]).toMatchObject({ name: 'eth0', description: 'R&D <lab> A' });
  });

  it.each([
    ['&#0;', /&#0;.*U\+0000/],
    ['&#xD800;', /&#xD800;.*U\+D800/],
    ['&foo;', /&foo;.*predefined entities/],
  ])('refuses %s with a 400 naming it, storing nothing', async (reference, message) => {
    const mac = '52:54:00:00:01:02';
    const response = await post(xml(mac, '2026-02-01T10:05:00Z', 1, `<name>eth${reference}</name>`), 'application/xml');
    expect(response.status).toBe(400);
    expect(JSON.parse(response.text).error.message).toMatch(message);
    // A notification stored would have given its interface's device a reading: the writers have had their time.
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await getJson(base, `/devices/${mac}`)).status).toBe(404);
  });

  it('keeps the spaces of a name as JSON does: the XML and JSON readings are one interface of the device', async () => {
    const mac = '52:54:00:00:02:01';
    expect((await post(json(mac, '2026-02-01T11:00:00Z', 1_000, { name: ' eth1 ' }), 'application/json')).status).toBe(204);
    await device(mac, (v) => v.interfaces.length === 1);
    expect((await post(xml(mac, '2026-02-01T11:01:00Z', 751_000, '<name> eth1 </name>'), 'application/xml')).status).toBe(204);
    const [xmlStored] = await stored(['2026-02-01T11:01:00Z'], 1);
    expect(xmlStored.interfaces[0].name).toBe(' eth1 ');
    // One series: the second reading makes a snapshot from the first (750,000 bytes in 60 s).
    const view = await device(mac, (v) => v.snap_shots.length === 1);
    expect(view.interfaces_total).toBe(1);
    expect(view.interfaces.map((i: { name: string }) => i.name)).toEqual([' eth1 ']);
    expect(view.snap_shots[0]).toMatchObject({ time_stamp: '2026-02-01T11:01:00.000Z', download_speed: 100_000 });
  });

  it('takes a prefixed RFC 5277 root with prefixed content, stored as the default-namespace form is', async () => {
    const mac = '52:54:00:00:03:01';
    const prefixed = xml(mac, '2026-02-01T12:00:00Z', 100)
      .replace(`<notification xmlns="${NC}">`, `<nc:notification xmlns:nc="${NC}">`)
      .replace('</notification>', '</nc:notification>')
      .replace(/<eventTime>([^<]*)<\/eventTime>/, '<nc:eventTime>$1</nc:eventTime>')
      .replace(`<interfaces xmlns="${IF}">`, `<if:interfaces xmlns:if="${IF}">`)
      .replace(/<(\/?)([a-z][\w-]*)>/g, '<$1if:$2>')
      .replace('</interfaces>', '</if:interfaces>');
    expect(prefixed).toContain('<if:statistics>');
    expect(await post(prefixed, 'application/yang-data+xml')).toEqual({ status: 204, text: '' });
    expect((await post(xml(mac, '2026-02-01T12:01:00Z', 100), 'application/yang-data+xml')).status).toBe(204);
    const [plain, fromPrefixed] = await stored(['2026-02-01T12:00:00Z', '2026-02-01T12:01:00Z'], 2);
    expect(fromPrefixed.eventTime).toBe('2026-02-01T12:00:00Z');
    expect(fromPrefixed.interfaces).toEqual(plain.interfaces);
    expect(fromPrefixed.interfaces[0]).toMatchObject({ name: 'eth0', 'if-index': 2, statistics: { 'in-octets': '100' } });
  });

  it('takes an element with attributes and no text as "", as <description/> is', async () => {
    const mac = '52:54:00:00:04:01';
    expect((await post(xml(mac, '2026-02-01T13:00:00Z', 100, '<name>eth0</name><description xml:lang="en"></description>'), 'application/xml')).status).toBe(204);
    const [notification] = await stored(['2026-02-01T13:00:00Z'], 1);
    expect(notification.interfaces[0]).toMatchObject({ name: 'eth0', description: '' });
  });

  it('takes a leap second in JSON and XML alike: listed in time order, and one reading however often it is sent', async () => {
    const mac = '52:54:00:00:05:01';
    const leap = '2016-12-31T23:59:60Z';
    expect((await post(json(mac, '2016-12-31T23:59:59Z', 0), 'application/json')).status).toBe(204);
    await device(mac, (v) => v.interfaces.length === 1);
    expect((await post(json(mac, leap, 1_000), 'application/json')).status).toBe(204);
    expect((await post(xml(mac, leap, 1_000), 'application/xml')).status).toBe(204);
    expect((await post(json(mac, '2017-01-01T00:00:01Z', 3_000), 'application/json')).status).toBe(204);
    const listed = await stored(['2016-12-31T23:59:59Z', leap, '2017-01-01T00:00:01Z'], 4);
    expect(listed.map((n: { eventTime: string }) => n.eventTime)).toEqual(['2017-01-01T00:00:01Z', leap, leap, '2016-12-31T23:59:59Z']);
    expect(listed[1].interfaces).toEqual(listed[2].interfaces);
    // The leap second is 23:59:59.999 of its minute; its two copies are one reading, one snapshot.
    const view = await device(mac, (v) => v.snap_shots.length === 2);
    expect(view.snap_shots.map((s: { time_stamp: string }) => s.time_stamp)).toEqual(['2016-12-31T23:59:59.999Z', '2017-01-01T00:00:01.000Z']);
  });
});
