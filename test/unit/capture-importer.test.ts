import { describe, expect, it } from 'vitest';
import type { CaptureFrame } from '../../infra/capture/capture-reader.ts';
import { importFrames, type ImportOptions } from '../../infra/capture/importer.ts';
import type { Packet } from '../../functions/packets/packet-schema.ts';
import { catalogueFrame, LINKTYPE } from '../helpers/capture-writer.ts';

interface Call {
  key: string;
  body: string;
  packets: Packet[];
  prefer: string | null;
}

/** A fake POST /packets: answers each call with the next scripted reply, else 202. */
function fakeService(replies: ((call: Call) => Response | Error | undefined)[] = []) {
  const calls: Call[] = [];
  const fetchFake = async (_url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const headers = new Headers(init?.headers);
    const call: Call = { key: headers.get('idempotency-key') ?? '', body: String(init?.body), packets: JSON.parse(String(init?.body)) as Packet[], prefer: headers.get('prefer') };
    calls.push(call);
    const reply = replies.shift()?.(call);
    if (reply instanceof Error) throw reply;
    return reply ?? new Response(JSON.stringify({ accepted: call.packets.length }), { status: 202 });
  };
  return { calls, fetch: fetchFake as typeof fetch };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) => new Response(JSON.stringify(body), { status, headers });

async function* framesOf(count: number, linkType: number = LINKTYPE.ETHERNET): AsyncGenerator<CaptureFrame> {
  const data = catalogueFrame('loopback udpDns').bytes;
  for (let i = 0; i < count; i++) yield { linkType, interfaceId: 0, timestamp: 1_700_000_000 + i, originalLength: data.length, data };
}

function options(service: ReturnType<typeof fakeService>, extra: Partial<ImportOptions> = {}): ImportOptions & { slept: number[] } {
  const slept: number[] = [];
  return { url: 'http://service/', key: 'k', fetch: service.fetch, sleep: async (ms) => void slept.push(ms), clock: () => 1_800_000_000, slept, ...extra };
}

describe('posting a capture', () => {
  it('posts batches of the given size, each under its own Idempotency-Key, with lenient handling asked for', async () => {
    const service = fakeService();
    const stats = await importFrames(framesOf(2500), options(service, { batchSize: 1000 }));
    expect(service.calls.map((c) => c.packets.length)).toEqual([1000, 1000, 500]);
    expect(new Set(service.calls.map((c) => c.key)).size).toBe(3);
    expect(service.calls.every((c) => /^"[0-9a-f-]{36}"$/.test(c.key) && c.prefer === 'handling=lenient')).toBe(true);
    expect(stats).toMatchObject({ framesRead: 2500, packetsSent: 2500, accepted: 2500, rejected: 0, retries: 0 });
    const first = service.calls[0]?.packets[0];
    expect(first?.Info).toEqual({ Sniffed_Timestamp: 1_700_000_000, Size: 71, Processed_Timestamp: 1_800_000_000, Submitted_Timestamp: 1_800_000_000 });
    expect(first?.UDP).toMatchObject({ Destination_Port: 47053 });
  });

  it('retries 503 and 429 with the same key and body, honouring Retry-After', async () => {
    const service = fakeService([() => json(503, { error: { code: 'service_unavailable' } }), () => json(429, { error: { code: 'too_many_requests' } }, { 'retry-after': '2' })]);
    const o = options(service);
    const stats = await importFrames(framesOf(10), o);
    expect(service.calls).toHaveLength(3);
    expect(new Set(service.calls.map((c) => c.key)).size).toBe(1);
    expect(new Set(service.calls.map((c) => c.body)).size).toBe(1);
    expect(o.slept[1]).toBe(2000);
    expect(stats).toMatchObject({ accepted: 10, rejected: 0, retries: 2 });
  });

  it('retries a dropped connection, and gives up after the last attempt', async () => {
    const down = () => json(503, {});
    const service = fakeService([() => new Error('socket hang up'), down, down, down]);
    const stats = await importFrames(framesOf(5), options(service, { maxAttempts: 4 }));
    expect(service.calls).toHaveLength(4);
    expect(stats).toMatchObject({ accepted: 0, rejected: 5, rejectedByReason: { 'HTTP 503 after 4 attempts': 5 } });
  });

  it('on a 400 naming records, counts them by reason and posts the rest under a new key', async () => {
    const service = fakeService([
      () => json(400, { error: { code: 'invalid_input', message: 'record 1 field UDP.Length', details: [{ record: 1, field: 'UDP.Length', message: 'bad' }, { record: 1, field: 'UDP.Checksum', message: 'bad' }, { record: 3, field: 'IPv4', message: 'odd' }] } }),
    ]);
    const stats = await importFrames(framesOf(5), options(service));
    expect(service.calls.map((c) => c.packets.length)).toEqual([5, 3]);
    expect(service.calls[0]?.key).not.toBe(service.calls[1]?.key);
    expect(stats).toMatchObject({ accepted: 3, rejected: 2, rejectedByReason: { 'UDP.Length: bad': 1, 'IPv4: odd': 1 } });
  });

  it('takes a lenient answer as it is', async () => {
    const service = fakeService([() => json(202, { accepted: 4, rejected: [{ record: 2, field: 'TCP.Flags', message: 'nope' }] }, { 'preference-applied': 'handling=lenient' })]);
    const stats = await importFrames(framesOf(5), options(service));
    expect(stats).toMatchObject({ accepted: 4, rejected: 1, rejectedByReason: { 'TCP.Flags: nope': 1 } });
  });

  it('counts a refused request whole, by status and message', async () => {
    const service = fakeService([() => json(401, { error: { code: 'unauthorized', message: 'missing or unknown API key' } })]);
    const stats = await importFrames(framesOf(3), options(service));
    expect(stats.rejectedByReason).toEqual({ 'HTTP 401 unauthorized: missing or unknown API key': 3 });
  });

  it('skips frames of link types it does not decode, counting them', async () => {
    async function* mixed(): AsyncGenerator<CaptureFrame> {
      yield* framesOf(3);
      yield* framesOf(2, 105);
    }
    const service = fakeService();
    const stats = await importFrames(mixed(), options(service));
    expect(stats).toMatchObject({ framesRead: 5, packetsSent: 3, accepted: 3, skippedLinkTypes: { 'IEEE802_11 (105)': 2 } });
  });

  it('keeps to --rate', async () => {
    const service = fakeService();
    // A clock that stands still, as the fake sleep does not pass time: the test does not depend on how fast it runs.
    const o = options(service, { batchSize: 100, rate: 1000, concurrency: 1, monotonicMs: () => 0 });
    await importFrames(framesOf(500), o);
    // Five batches of 100 at 1,000 packets/s start 100 ms apart.
    expect(o.slept).toEqual([100, 200, 300, 400]);
  });

  it('refuses a batch size the API would refuse', async () => {
    await expect(importFrames(framesOf(1), options(fakeService(), { batchSize: 1001 }))).rejects.toThrow(/batch size/);
  });
});
