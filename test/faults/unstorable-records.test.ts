import { readFileSync } from 'node:fs';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringifyJson } from '../../functions/shared/json.ts';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { TEST_API_KEY, eventually, getJson, startTestRuntime } from '../helpers/runtime.ts';
import { deadLetterCount } from '../helpers/queue-delivery.ts';

/**
 * Valid JSON that the writers could not store: time stamps past the year 9999 (no ISO date a
 * device's times are kept as, and from 8.64e12 s none at all), integers whose magnitude a
 * table cannot hold, and records heavier than an item. Each is refused at ingest, naming
 * its record and field, and takes nothing of its request with it to the queue; the values
 * just inside each limit are stored. Either way no message is dead-lettered.
 */
let runtime: LocalRuntime;
let sqs: SQSClient;
beforeAll(async () => {
  runtime = await startTestRuntime();
  sqs = new SQSClient({});
});
afterAll(async () => {
  sqs?.destroy();
  await runtime?.stop();
});

const tcp = JSON.parse(readFileSync('events/packets/tcp-ipv4.json', 'utf8')) as Record<string, Record<string, unknown>>;
let macs = 0;
/** The sample TCP packet between two MACs of this test's own, with `info` and `tcp` merged in. */
function packet(info: Record<string, unknown> = {}, extraTcp: Record<string, unknown> = {}): { packet: unknown; mac: string } {
  const mac = `02:5e:00:00:${(++macs).toString(16).padStart(4, '0').replace(/(..)(..)/, '$1:$2')}`;
  return {
    mac,
    packet: { ...tcp, Packet_802_3: { ...tcp.Packet_802_3, Source_MAC: mac, Destination_MAC: '02:5e:ff:ff:ff:ff' }, TCP: { ...tcp.TCP, ...extraTcp }, Info: { ...tcp.Info, ...info } },
  };
}

/** Lists nested `depth` deep in a list: JSON of 2 bytes a level, an item of 4. */
const nestedLists = (depth: number): unknown => (depth === 0 ? [] : [nestedLists(depth - 1)]);

async function post(path: string, body: string, contentType = 'application/json'): Promise<{ status: number; body: { error?: { message: string; details: { record?: number; line?: number; field?: string }[] }; accepted?: number } }> {
  const response = await fetch(`${runtime.url}${path}`, { method: 'POST', headers: { 'content-type': contentType, 'x-api-key': TEST_API_KEY }, body });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : JSON.parse(text) };
}

async function tcpCount(): Promise<number> {
  return Number((await getJson(runtime.url, '/packets/tables/TCP')).body.TCP ?? 0);
}

const deadLettered = () => deadLetterCount(sqs, runtime);

describe('records the tables could not hold are refused at ingest', () => {
  it('packets: a time past the year 9999, an integer beyond 1e126, a record heavier than an item; each beside a valid packet', { timeout: 60_000 }, async () => {
    const before = await tcpCount();
    const valid = packet();
    const refused: [unknown, string, RegExp][] = [
      // What a client sending microseconds, or milliseconds, for seconds sends.
      [packet({ Sniffed_Timestamp: 1.7e15 }).packet, 'Info.Sniffed_Timestamp', /after the year 9999/],
      [packet({ Sniffed_Timestamp: 1_710_704_607_512 }).packet, 'Info.Sniffed_Timestamp', /after the year 9999/],
      [packet({}, { Extra: 10n ** 130n }).packet, 'TCP.Extra', /beyond the range a table holds/],
      [packet({}, { Nested: Array.from({ length: 9_000 }, () => nestedLists(11)) }).packet, '', /KB as a table item/],
    ];
    for (const [bad, field, message] of refused) {
      const { status, body } = await post('/packets', stringifyJson([valid.packet, bad]));
      expect(status, JSON.stringify(body).slice(0, 300)).toBe(400);
      expect(body.error?.details[0]).toEqual({ record: 1, ...(field === '' ? {} : { field }), message: expect.stringMatching(message) });
    }
    // Then the valid packet alone: counted once, so none of the refused requests queued it.
    expect((await post('/packets', stringifyJson([valid.packet]))).status).toBe(202);
    await eventually(async () => ((await tcpCount()) === before + 1 ? true : undefined), 30_000, 'the valid packet counted');
    expect(await tcpCount()).toBe(before + 1);
    expect(await deadLettered()).toBe(0);
  });

  it('packets just inside each limit are stored: the last second of 9999, an integer below 1e126, 200 KB of text', { timeout: 60_000 }, async () => {
    const before = await tcpCount();
    // The other times of Info are not stored: milliseconds there are taken as they come.
    const last = packet({ Sniffed_Timestamp: 253_402_300_799.5, Submitter_Timestamp: 1_710_704_607_512 });
    const big = packet({}, { Extra: 10n ** 126n - 10n ** 88n });
    const heavy = packet({}, { Text: 'é'.repeat(100_000) });
    const { status, body } = await post('/packets', stringifyJson([last.packet, big.packet, heavy.packet]));
    expect(status, JSON.stringify(body)).toBe(202);
    await eventually(async () => ((await tcpCount()) === before + 3 ? true : undefined), 30_000, 'three packets counted');
    const device = await eventually(async () => {
      const { status: found, body: view } = await getJson(runtime.url, `/devices/${last.mac}`);
      return found === 200 && view.first_seen !== null ? view : undefined;
    });
    expect(device.first_seen).toBe('9999-12-31T23:59:59.500Z');
    expect(await deadLettered()).toBe(0);
  });

  it('Netify: a last_seen_at past the year 9999 refuses its request, naming the line', async () => {
    const flow = (mac: string, lastSeenAt: number) =>
      stringifyJson({ type: 'flow', flow: { digest: `d-${mac}`, local_mac: mac, detected_application_name: 'netify.example', last_seen_at: lastSeenAt } });
    const { status, body } = await post('/netify', [flow('02:5e:01:00:00:01', 1_742_240_612_972), flow('02:5e:01:00:00:02', 8.7e15)].join('\n'), 'application/x-ndjson');
    expect(status, JSON.stringify(body)).toBe(400);
    expect(body.error?.details[0]).toEqual({ line: 2, field: 'flow.last_seen_at', message: expect.stringMatching(/after the year 9999/) });
    expect((await getJson(runtime.url, '/devices/02:5e:01:00:00:01')).status).toBe(404);
  });

  it('Netify: what a line holds and ingest does not keep is never refused for its size, only skipped', async () => {
    // An agent_status line (not stored) of 500 KB, and a flow with a member the schema drops beside its flow.
    const status = stringifyJson({ type: 'agent_status', version: '4.4.7', note: 'x'.repeat(500_000) });
    const flow = stringifyJson({ type: 'flow', interface: 'y'.repeat(450_000), flow: { digest: 'd-kept', local_mac: '02:5e:01:00:00:03', detected_application_name: 'netify.kept' } });
    const { status: code, body } = await post('/netify', [status, flow].join('\n'), 'application/x-ndjson');
    expect(code, JSON.stringify(body).slice(0, 300)).toBe(202);
    expect(body).toMatchObject({ accepted: 1, skipped: 1 });
    const device = await eventually(async () => {
      const { status: found, body: view } = await getJson(runtime.url, '/devices/02:5e:01:00:00:03');
      return found === 200 && view.applications.length > 0 ? view : undefined;
    });
    expect(device.applications[0]).toMatchObject({ app_name: 'netify.kept' });
  });

  it('a notification holding an integer beyond 1e126 is refused, naming the field', async () => {
    const notification = { 'ietf-https-notif:notification': { eventTime: '2026-12-07T10:00:00Z', 'example:reading': { value: 10n ** 130n } } };
    const { status, body } = await post('/relay-notification', stringifyJson(notification), 'application/yang-data+json');
    expect(status, JSON.stringify(body)).toBe(400);
    expect(body.error?.message).toMatch(/example:reading\.value.*beyond the range a table holds/);
    expect(await deadLettered()).toBe(0);
  });
});
