import { readFileSync, readdirSync } from 'node:fs';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { layersOf } from '../../functions/packets/storage.ts';
import type { Packet } from '../../functions/packets/packet-schema.ts';
import { eventually, getJson, postJson, startTestRuntime } from '../helpers/runtime.ts';

const samples = readdirSync('events/packets').map((f) => JSON.parse(readFileSync(`events/packets/${f}`, 'utf8')) as Packet);
let runtime: LocalRuntime;
let base: string;
const sqs = new SQSClient({});

beforeAll(async () => {
  runtime = await startTestRuntime();
  base = runtime.url;
});
afterAll(async () => {
  await runtime?.stop();
  sqs.destroy();
});

/** Packets of mixed layers with distinct, increasing sniff times. */
function mixedPackets(count: number, startTime: number): Packet[] {
  return Array.from({ length: count }, (_, i) => {
    const sample = structuredClone(samples[i % samples.length]) as Packet;
    sample.Info = { ...(sample.Info ?? {}), Sniffed_Timestamp: startTime + i };
    return sample;
  });
}

async function queuedMessages(): Promise<number> {
  const url = runtime.resources.queues.get('PacketsQueue')?.url;
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible);
}

describe('packets over HTTP through the local runtime', () => {
  it('answers health and the liveness check', async () => {
    expect(await getJson(base, '/health')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect((await getJson(base, '/packets')).status).toBe(200);
  });

  it('stores 500 packets posted in arrays and counts every layer exactly', async () => {
    const packets = mixedPackets(500, 1_700_000_000);
    const expected: Record<string, number> = {};
    for (const p of packets) for (const layer of layersOf(p)) expected[layer] = (expected[layer] ?? 0) + 1;
    const posts = await Promise.all([0, 1, 2, 3, 4].map((i) => postJson(base, '/packets', packets.slice(i * 100, i * 100 + 100))));
    for (const post of posts) expect(post).toMatchObject({ status: 202, body: { accepted: 100 } });

    const sorted = Object.fromEntries(Object.entries(expected).sort(([a], [b]) => (a < b ? -1 : 1)));
    await eventually(async () => {
      const { body } = await getJson(base, '/packets/tables/all');
      return JSON.stringify(body) === JSON.stringify(sorted) ? body : undefined;
    }, 30_000, 'counts to reach the expected values');

    expect((await getJson(base, '/packets/tables')).body).toEqual({ protocols: Object.keys(sorted) });
    expect((await getJson(base, '/packets/tables/IPv4')).body).toEqual({ IPv4: expected.IPv4 });
    expect((await getJson(base, '/packets/tables/i_pv4')).body).toEqual({ IPv4: expected.IPv4 });
    expect((await getJson(base, '/packets/tables/af__packet')).body).toEqual({ AF_Packet: expected.AF_Packet });
    expect((await getJson(base, '/packets/tables/tcp')).body).toEqual({ TCP: expected.TCP });
  });

  it('pages the view newest first with the cursor, in both spellings', async () => {
    const total = (await getJson(base, '/packets/tables/AF_Packet')).body.AF_Packet as number;
    const seen: { packet_id: string; timestamp: number }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const path: string =
        pages % 2 === 0
          ? `/packets/tables/view?ProtocolName=af_packet;Limit=150;${cursor ? `cursor=${cursor}` : ''}`
          : `/packets/tables/views?protocolname=AF_Packet&limit=150${cursor ? `&cursor=${cursor}` : ''}`;
      const { status, body } = await getJson(base, path);
      expect(status).toBe(200);
      expect(body.view.length).toBeLessThanOrEqual(150);
      seen.push(...body.view);
      cursor = body.next;
      pages++;
    } while (cursor !== null && pages < 20);
    expect(seen).toHaveLength(total);
    expect(new Set(seen.map((r) => r.packet_id)).size).toBe(total);
    const times = seen.map((r) => r.timestamp);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(seen[0]).toMatchObject({ Interface_Name: 'eth0', timestamp: 1_700_000_499 });
  });

  it('serves a known protocol with no entries as 0 and an unknown one as 404', async () => {
    expect(await getJson(base, '/packets/tables/Unknown')).toMatchObject({ status: 200 });
    const fresh = await startTestRuntime();
    try {
      expect((await getJson(fresh.url, '/packets/tables/IPv6')).body).toEqual({ IPv6: 0 });
      expect((await getJson(fresh.url, '/packets/tables/all')).body).toEqual({});
      expect((await getJson(fresh.url, '/packets/tables/view?ProtocolName=IPv6')).body).toEqual({ view: [], next: null });
    } finally {
      await fresh.stop();
    }
    const unknown = await getJson(base, '/packets/tables/IPv5');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
  });

  describe('errors, with nothing queued', () => {
    const valid = samples[0];
    const cases: [string, { body: unknown; contentType?: string }, number, RegExp][] = [
      ['an unknown layer', { body: [valid, { IPv5: {} }] }, 400, /record 1 field IPv5/],
      ['a missing required field', { body: [valid, valid, { TCP: { Source_Port: 1 } }] }, 400, /record 2 field TCP\./],
      ['a field of the wrong type', { body: { UDP: { Source_Port: 'x', Destination_Port: 1, Length: 1, Checksum: 1, Payload_Size: 1 } } }, 400, /record 0 field UDP.Source_Port/],
      ['an empty array', { body: [] }, 400, /empty array/],
      ['a packet with no layer', { body: {} }, 400, /at least one layer/],
      ['more than 1000 packets', { body: Array.from({ length: 1001 }, () => valid) }, 400, /limit is 1000/],
      ['a body that is not JSON', { body: '{"IPv4": ' }, 415, /not valid JSON/],
      ['a non-JSON content type', { body: 'IPv4', contentType: 'text/plain' }, 415, /Content-Type text\/plain/],
      ['a __proto__ key', { body: '{"__proto__": {"polluted": true}, "AF_Packet": {}}' }, 400, /forbidden key/],
      ['an empty body', { body: '' }, 400, /empty/],
    ];

    it.each(cases)('%s', async (_, { body, contentType }, status, message) => {
      // Earlier messages drain first, so that anything on the queue afterwards is this request's.
      await eventually(async () => ((await queuedMessages()) === 0 ? true : undefined), 20_000, 'an idle queue');
      const before = await queuedMessages();
      const response = await postJson(base, '/packets', body, contentType ? { 'content-type': contentType } : {});
      expect(response.status).toBe(status);
      expect(response.body.error.message).toMatch(message);
      if (status === 400 && Array.isArray(body) && body.length <= 1000 && body.length > 0) {
        expect(response.body.error.details[0]).toHaveProperty('record');
      }
      expect(await queuedMessages()).toBe(before);
    });

    it('413 for a body over the route limit', async () => {
      const huge = JSON.stringify([{ Unknown: { Message: 'x'.repeat(6_000_000) } }]);
      const response = await postJson(base, '/packets', huge);
      expect(response.status).toBe(413);
      expect(response.body.error.code).toBe('payload_too_large');
    });

    it('answers a body up to the limit itself, though escaped in the Lambda event it doubles; past Lambda\'s 6 MB no handler runs', async () => {
      // A `"` of the body is `\"` in the event: a body of them is twice its size there.
      const quotes = (bytes: number) => JSON.stringify([{ Unknown: { Message: '"'.repeat(Math.floor((bytes - 40) / 2)) } }]);
      const before = await queuedMessages();
      // 2.9 MB, a 5.8 MB event: the handler answers (the record is too heavy for an item).
      const under = await postJson(base, '/packets', quotes(2_900_000));
      expect(under.status).toBe(400);
      expect(under.body.error.message).toMatch(/record 0: is \d+ KB as a table item/);
      // 3.2 MB of plain text is over the route's limit: the handler's 413.
      const plain = await postJson(base, '/packets', JSON.stringify([{ Unknown: { Message: 'x'.repeat(3_200_000) } }]));
      expect(plain.status).toBe(413);
      // 3.2 MB of quotes is a 6.4 MB event, which Lambda refuses before any handler runs.
      const escaped = await postJson(base, '/packets', quotes(3_200_000));
      expect(escaped.status).toBe(500);
      expect(await queuedMessages()).toBe(before);
    });

    it('400 for a bad view request', async () => {
      expect((await getJson(base, '/packets/tables/view')).status).toBe(400);
      expect((await getJson(base, '/packets/tables/view?ProtocolName=IPv4&Limit=0')).status).toBe(400);
      expect((await getJson(base, '/packets/tables/view?ProtocolName=IPv4&Limit=1001')).status).toBe(400);
      expect((await getJson(base, '/packets/tables/view?ProtocolName=IPv4&cursor=bogus')).status).toBe(400);
      expect((await getJson(base, '/packets/tables/view?ProtocolName=IPv9')).status).toBe(404);
    });
  });
});
