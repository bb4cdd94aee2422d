import { readFileSync } from 'node:fs';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { TEST_API_KEY, eventually, getJson, startTestRuntime } from '../helpers/runtime.ts';

let runtime: LocalRuntime;
let base: string;
const sqs = new SQSClient({});
const seedJson = readFileSync('events/notifications/seed-interfaces.json', 'utf8');
const seedXml = readFileSync('events/notifications/seed-interfaces.xml', 'utf8');

beforeAll(async () => {
  runtime = await startTestRuntime();
  base = runtime.url;
});
afterAll(async () => {
  await runtime?.stop();
  sqs.destroy();
});

async function post(path: string, body: string, contentType: string | undefined) {
  const headers: Record<string, string> = { 'x-api-key': TEST_API_KEY };
  if (contentType !== undefined) headers['content-type'] = contentType;
  const response = await fetch(`${base}${path}`, { method: 'POST', headers, body });
  return { status: response.status, text: await response.text() };
}

async function queued(): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: runtime.resources.queues.get('NotificationsQueue')?.url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible);
}

/** The seed's JSON notification with its eventTime and wlp2s0's counters set. */
function reading(eventTime: string, inOctets: bigint, outOctets: bigint, discontinuity = '2025-03-17T19:43:27.952507Z'): string {
  const n = JSON.parse(seedJson);
  n['ietf-https-notif:notification'].eventTime = eventTime;
  const wlp = n['ietf-https-notif:notification'].interface_data.interface[0];
  wlp.statistics['in-octets'] = String(inOctets);
  wlp.statistics['out-octets'] = String(outOctets);
  wlp.statistics['discontinuity-time'] = discontinuity;
  return JSON.stringify(n);
}

describe('notifications over HTTP', () => {
  it('answers capabilities without a key, in the negotiated encoding', async () => {
    const xml = await fetch(`${base}/capabilities`);
    expect(xml.status).toBe(200);
    // The draft names exactly these types, and real publishers search the header for them.
    expect(xml.headers.get('content-type')).toBe('application/xml');
    expect(await xml.text()).toContain('<receiver-capability>urn:ietf:capability:https-notif-receiver:encoding:json</receiver-capability>');
    const json = await fetch(`${base}/capabilities`, { headers: { accept: 'application/yang-data+json' } });
    expect(json.headers.get('content-type')).toBe('application/json');
    expect(await json.json()).toEqual({
      'receiver-capabilities': {
        'receiver-capability': ['urn:ietf:capability:https-notif-receiver:encoding:json', 'urn:ietf:capability:https-notif-receiver:encoding:xml'],
      },
    });
  });

  it("takes the seed's JSON and XML with 204 and lists them newest first", async () => {
    expect(await post('/relay-notification', seedJson, 'application/yang-data+json')).toEqual({ status: 204, text: '' });
    expect(await post('/notifications', seedXml, 'application/xml; charset=utf-8')).toEqual({ status: 204, text: '' });
    const { body } = await eventually(async () => {
      const result = await getJson(base, '/notifications?limit=10');
      return result.body.items.length === 2 ? result : undefined;
    }, 20_000, 'two stored notifications');
    expect(body.items.map((n: { eventTime: string }) => n.eventTime)).toEqual(['2025-03-17T22:33:58.812159Z', '2025-03-17T19:43:27.972894Z']);
    expect(body.items[0].interfaces).toHaveLength(7);
    expect(body.items[1].interfaces[0].statistics['in-octets']).toBe('1592834446');
    const paged = await getJson(base, '/notifications?limit=1');
    expect(paged.body.items).toHaveLength(1);
    const rest = await getJson(base, `/notifications?limit=1&cursor=${paged.body.next}`);
    expect(rest.body.items[0].eventTime).toBe('2025-03-17T19:43:27.972894Z');
  });

  it.each([
    ['no Content-Type', seedJson, undefined, 415],
    ['text/plain', seedJson, 'text/plain', 415],
    ['broken JSON', '{"ietf-https-notif:notification":', 'application/json', 415],
    ['broken XML', '<ietf-https-notif:notification>', 'application/xml', 415],
    ['an entity bomb', '<!DOCTYPE a [<!ENTITY a "aaaa">]><ietf-https-notif:notification/>', 'application/xml', 400],
    ['a wrong root', '{"notification":{}}', 'application/json', 400],
    ['a counter above 2^64-1', seedJson.replace('"1592834446"', '"18446744073709551616"'), 'application/json', 400],
  ])('%s -> %s, nothing queued', async (_, body, type, status) => {
    // Wait for earlier messages to drain, so that anything on the queue afterwards is this request's.
    await eventually(async () => ((await queued()) === 0 ? true : undefined), 20_000, 'an idle queue');
    const response = await post('/relay-notification', body, type);
    expect(response.status).toBe(status);
    expect(JSON.parse(response.text).error.message.length).toBeGreaterThan(0);
    expect(await queued()).toBe(0);
  });

  it('gives a device its interface statistics and speed snapshots from consecutive notifications', async () => {
    const mac = '3c:91:80:2b:68:23';
    // 60 s apart: 7.5 MB in and 1.5 MB out -> 1,000,000 bit/s down, 200,000 up.
    await post('/relay-notification', reading('2026-01-01T10:00:00Z', 1_000_000n, 500_000n), 'application/json');
    await eventually(async () => ((await getJson(base, `/devices/${mac}`)).status === 200 ? true : undefined), 20_000, 'the device');
    await post('/relay-notification', reading('2026-01-01T10:01:00Z', 8_500_000n, 2_000_000n), 'application/json');
    // The counter went backwards (a reset): a new baseline, no snapshot.
    await post('/relay-notification', reading('2026-01-01T10:02:00Z', 100n, 100n), 'application/json');
    await post('/relay-notification', reading('2026-01-01T10:03:00Z', 750_100n, 150_100n), 'application/json');
    const view = await eventually(async () => {
      const { body } = await getJson(base, `/devices/${mac}`);
      // Both: the latest statistics move before the snapshots are written.
      return body.snap_shots.length === 2 && body.interfaces[0]?.statistics['in-octets'] === '750100' ? body : undefined;
    }, 20_000, 'two snapshots');
    expect(view.snap_shots).toEqual([
      { time_stamp: '2026-01-01T10:01:00.000Z', upload_speed: 200_000, download_speed: 1_000_000, active_connection: true },
      { time_stamp: '2026-01-01T10:03:00.000Z', upload_speed: 20_000, download_speed: 100_000, active_connection: true },
    ]);
    expect(view.interfaces).toHaveLength(1);
    expect(view.interfaces[0]).toMatchObject({ name: 'wlp2s0', statistics: { 'in-octets': '750100' } });
    expect((await getJson(base, `/devices/${mac}?snapshots=1`)).body.snap_shots).toHaveLength(1);
    // The reset's baseline at 10:02 is stored (as holding no speeds) but never shown: two
    // snapshots asked for are the two with speeds, read past it.
    expect((await getJson(base, `/devices/${mac}?snapshots=2`)).body.snap_shots.map((s: { time_stamp: string }) => s.time_stamp)).toEqual([
      '2026-01-01T10:01:00.000Z',
      '2026-01-01T10:03:00.000Z',
    ]);
  });
});
