import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { TEST_API_KEY, eventually, getJson, postJson, startTestRuntime } from '../helpers/runtime.ts';
import { nextPage } from '../../dashboard/src/next-page.ts';

let runtime: LocalRuntime;
let base: string;
const inventory = JSON.parse(readFileSync('events/devices/inventory.json', 'utf8')) as Record<string, string>[];
const netify = readFileSync('events/netify/agent.ndjson', 'utf8');
const ALICE = '3c:91:80:2b:68:23';

beforeAll(async () => {
  runtime = await startTestRuntime();
  base = runtime.url;
});
afterAll(async () => runtime?.stop());

async function postNetify(body: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}/netify`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', 'x-api-key': TEST_API_KEY, ...headers }, body });
  // `any`, as in the other helpers: tests assert on the body's shape field by field.
  return { status: response.status, body: (await response.json()) as any };
}

describe('devices over HTTP', () => {
  it('builds a device from inventory alone', async () => {
    expect(await postJson(base, '/devices', inventory)).toMatchObject({ status: 202, body: { accepted: 4 } });
    const view = await eventually(async () => {
      const { status, body } = await getJson(base, '/devices/00-1B-44-11-3A-B7');
      // last_seen only moves forward and is written just after the rest.
      return status === 200 && body.last_seen !== null ? body : undefined;
    }, 20_000, 'the router');
    expect(view).toMatchObject({
      mac_address: '00:1b:44:11:3a:b7',
      ip_address: '172.16.101.1',
      host_name: 'RT1',
      device_type: 'Router',
      operating_system: 'Cisco IOS',
      // A client's inventory, not the simulated network's.
      simulated: false,
      snap_shots: [],
      applications: [],
      interfaces: [],
      protocols: {},
    });
    expect(view.first_seen).toEqual(view.last_seen);
  });

  it('takes a device listed twice in one request as its later record says', async () => {
    // The later record is the smaller JSON, which the writers' tie-break on equal times would not pick.
    const router = { host_name: 'RT9-old', device_type: 'Router', operating_system: 'Cisco IOS', mac_address: 'a2:1b:44:11:3a:09', ip_address: '172.16.101.9' };
    const renamed = { ...router, host_name: 'RT1', mac_address: 'A2-1B-44-11-3A-09', ip_address: '172.16.101.1' };
    const other = { ...router, host_name: 'SW9', mac_address: 'a2:1b:44:11:3a:0a' };
    expect(await postJson(base, '/devices', [router, other, renamed])).toMatchObject({ status: 202, body: { accepted: 3 } });
    const view = await eventually(async () => {
      const { status, body } = await getJson(base, '/devices/a2:1b:44:11:3a:09');
      return status === 200 && body.last_seen !== null ? body : undefined;
    }, 20_000, 'the renamed router');
    expect(view).toMatchObject({ host_name: 'RT1', ip_address: '172.16.101.1' });
    expect((await getJson(base, '/devices/a2:1b:44:11:3a:0a')).body).toMatchObject({ host_name: 'SW9' });
  });

  it('adds Netify applications: one entry per digest, sums exact when a request is retried', async () => {
    expect(await postNetify(netify, { 'idempotency-key': 'netify-1' })).toEqual({ status: 202, body: { accepted: 6, skipped: 4 } });
    // The agent's client retries the same request: nothing doubles.
    expect(await postNetify(netify, { 'idempotency-key': 'netify-1' })).toEqual({ status: 202, body: { accepted: 6, skipped: 4 } });
    const view = await eventually(async () => {
      const { body } = await getJson(base, `/devices/${ALICE.toUpperCase()}`);
      return body?.applications?.length === 2 && body.applications.every((a: { bytes_ttl: number }) => a.bytes_ttl > 0) ? body : undefined;
    }, 20_000, 'two applications with bytes');
    await new Promise((r) => setTimeout(r, 1_500)); // time for a double-count to show, if there were one
    const { body: settled } = await getJson(base, `/devices/${ALICE}`);
    const apps = Object.fromEntries(settled.applications.map((a: { app_name: string }) => [a.app_name, a]));
    expect(apps['netify.youtube']).toMatchObject({ bytes_up: 2284, bytes_dn: 29636, bytes_ttl: 31920, pkts_up: 35, pkts_dn: 38, pkts_ttl: 73 });
    expect(apps['netify.google']).toMatchObject({ bytes_up: 80, bytes_dn: 160, pkts_up: 1, pkts_dn: 1 });
    expect(view).toMatchObject({ host_name: 'PC-ALICE', ip_address: '172.16.101.20' });
  });

  it('adds packets: MACs, addresses and per-device protocol counts', async () => {
    const tcp = JSON.parse(readFileSync('events/packets/tcp-ipv4.json', 'utf8'));
    const udp = JSON.parse(readFileSync('events/packets/udp-ipv4.json', 'utf8'));
    expect((await postJson(base, '/packets', [tcp, tcp, udp])).status).toBe(202);
    const view = await eventually(async () => {
      const { status, body } = await getJson(base, '/devices/00:15:5d:44:43:68');
      return status === 200 && body.protocols.IPv4 === 3 ? body : undefined;
    }, 20_000, 'a device learned from packets');
    expect(view).toMatchObject({ ip_address: '172.27.118.244', host_name: null, protocols: { IPv4: 3, TCP: 2, UDP: 1, Packet_802_3: 3, AF_Packet: 3 } });
  });

  it('lists devices in pages ordered by MAC', async () => {
    const first = await getJson(base, '/devices?limit=3');
    expect(first.status).toBe(200);
    expect(first.body).toHaveLength(3);
    const link = first.headers.get('link');
    expect(link).toMatch(/rel="next"/);
    const next = nextPage(link, '/devices?limit=3') as string;
    const second = await getJson(base, next);
    const macs = [...first.body, ...second.body].map((d: { mac_address: string }) => d.mac_address);
    expect(macs).toEqual([...macs].sort());
    expect(new Set(macs).size).toBe(macs.length);
    expect(macs).toContain(ALICE);
  });

  it.each([
    ['/devices/00:1b:44:11:3a', 400],
    ['/devices/zz:zz:zz:zz:zz:zz', 400],
    ['/devices/00:00:00:00:00:01', 404],
    ['/devices?snapshots=-1', 400],
    ['/devices?limit=0', 400],
  ])('%s -> %i', async (path, status) => {
    expect((await getJson(base, path)).status).toBe(status);
  });

  it.each([
    ['an inventory that is not an array', '/devices', { host_name: 'x' }, /array/],
    ['a malformed MAC', '/devices', [{ ...inventory[0], mac_address: '00:1B:44:11:5R:B8' }], /record 0 field mac_address/],
    ['a malformed IP', '/devices', [{ ...inventory[0], ip_address: '300.1.1.1' }], /record 0 field ip_address/],
  ])('400 for %s', async (_, path, body, message) => {
    const response = await postJson(base, path, body);
    expect(response.status).toBe(400);
    expect(response.body.error.message).toMatch(message);
  });

  it('400 naming the Netify line that is not JSON', async () => {
    const response = await postNetify('{"length": 10}\nnot json\n');
    expect(response.status).toBe(400);
    expect(response.body.error.details[0]).toMatchObject({ line: 2 });
  });

  it('takes Netify lines under each media type the contract lists, and 415 naming them for another', async () => {
    const spec = JSON.parse(readFileSync('openapi.json', 'utf8')) as { paths: Record<string, Record<string, { requestBody: { content: Record<string, unknown> } }>> };
    const types = Object.keys(spec.paths['/netify']?.post?.requestBody.content ?? {});
    expect(types).toContain('application/x-ndjson');
    for (const type of types) expect(await postNetify('{"length": 2}\n', { 'content-type': type }), type).toMatchObject({ status: 202, body: { accepted: 0, skipped: 1 } });
    const refused = await postNetify('{"length": 2}\n', { 'content-type': 'application/xml' });
    expect(refused.status).toBe(415);
    for (const type of types) expect(refused.body.error.message).toContain(type);
  });
});
