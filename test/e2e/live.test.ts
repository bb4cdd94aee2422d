import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '../../functions/live/token.ts';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { INGEST_ONLY_KEY, READ_ONLY_KEY, TEST_API_KEY, getJson, postJson, startTestRuntime } from '../helpers/runtime.ts';

interface Snapshot {
  id: number;
  time_stamp: string;
  upload_speed: number;
  download_speed: number;
  active_connection: boolean;
}
interface LiveDevice {
  id: number;
  host_name: string | null;
  device_type: string | null;
  operating_system: string | null;
  simulated: boolean;
  mac_address: string;
  ip_address: string | null;
  snap_shots: Snapshot[];
}

let runtime: LocalRuntime;
const seedJson = readFileSync('events/notifications/seed-interfaces.json', 'utf8');
const sockets: WebSocket[] = [];

beforeAll(async () => {
  runtime = await startTestRuntime({ streamEventSources: true });
});
afterAll(async () => {
  for (const socket of sockets) socket.close();
  await runtime?.stop();
});

/** A socket and every message it has received so far, parsed. */
interface Client {
  socket: WebSocket;
  messages: { at: number; devices: LiveDevice[] }[];
  next(predicate: (devices: LiveDevice[]) => boolean, timeoutMs: number, what: string): Promise<{ at: number; devices: LiveDevice[] }>;
}

function open(url: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    sockets.push(socket);
    const messages: Client['messages'] = [];
    const waiters = new Set<() => void>();
    socket.addEventListener('message', (event) => {
      messages.push({ at: Date.now(), devices: JSON.parse(String(event.data)) as LiveDevice[] });
      for (const wake of waiters) wake();
    });
    socket.addEventListener('error', () => reject(new Error('the connection was refused')));
    socket.addEventListener('open', () =>
      resolve({
        socket,
        messages,
        next: (predicate, timeoutMs, what) =>
          new Promise((found, fail) => {
            const check = () => {
              const hit = messages.find((m) => predicate(m.devices));
              if (hit === undefined) return;
              waiters.delete(check);
              clearTimeout(timer);
              found(hit);
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              fail(new Error(`no message with ${what} within ${timeoutMs} ms (got ${messages.length})`));
            }, timeoutMs);
            waiters.add(check);
            check();
          }),
      }),
    );
  });
}

/** Resolves with how the handshake ended: refused (error before open) or opened. */
function attempt(url: string): Promise<'refused' | 'opened'> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url);
    sockets.push(socket);
    socket.addEventListener('open', () => resolve('opened'));
    socket.addEventListener('error', () => resolve('refused'));
  });
}

/** A notification with one interface of this MAC and these counters. */
function notification(mac: string, eventTime: string, inOctets: bigint, outOctets: bigint): string {
  const n = JSON.parse(seedJson);
  const body = n['ietf-https-notif:notification'];
  body.eventTime = eventTime;
  const wlp = body.interface_data.interface[0];
  wlp['phys-address'] = mac;
  wlp.statistics['in-octets'] = String(inOctets);
  wlp.statistics['out-octets'] = String(outOctets);
  body.interface_data.interface = [wlp];
  return JSON.stringify(n);
}

const TIME_STAMP = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/;
const uniqueMac = () =>
  Array.from({ length: 6 }, (_, i) => (i === 0 ? 0x02 : Math.floor(Math.random() * 256)).toString(16).padStart(2, '0')).join(':');

describe('GET /live', () => {
  it('needs an API key with the read scope', async () => {
    expect((await getJson(runtime.url, '/live', {})).status).toBe(401);
    expect((await getJson(runtime.url, '/live', { 'x-api-key': INGEST_ONLY_KEY })).status).toBe(403);
  });

  it('answers a WebSocket URL with a token good for five minutes', async () => {
    const before = Date.now();
    const { status, body } = await getJson(runtime.url, '/live', { 'x-api-key': READ_ONLY_KEY });
    expect(status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(['expires_at', 'url']);
    const url = new URL(body.url);
    expect(`${url.protocol}//${url.host}${url.pathname}`).toBe(runtime.websocketUrl);
    expect(url.searchParams.get('token')).toMatch(/^[\w-]+\.[\w-]+$/);
    const ttl = Date.parse(body.expires_at) - before;
    expect(ttl).toBeGreaterThan(290_000);
    expect(ttl).toBeLessThanOrEqual(301_000);
  });
});

describe('the live WebSocket', () => {
  it('refuses a connection without a valid token', async () => {
    const base = runtime.websocketUrl as string;
    expect(await attempt(base)).toBe('refused');
    expect(await attempt(`${base}?token=nonsense`)).toBe('refused');
    // Signed with another secret, and one signed right but expired.
    expect(await attempt(`${base}?token=${issueToken('another secret').token}`)).toBe('refused');
    const expired = issueToken(process.env.LIVE_TOKEN_SECRET as string, Date.now() - 301_000).token;
    expect(await attempt(`${base}?token=${expired}`)).toBe('refused');
    const { body } = await getJson(runtime.url, '/live');
    expect(await attempt(body.url)).toBe('opened');
  });

  it("sends seed 004's device array on connect and after a notification, speeds in Mbps", async () => {
    // A device known from inventory only: it still carries a snapshot, connected (just seen), speeds 0.
    const inventoryMac = uniqueMac();
    expect((await postJson(runtime.url, '/devices', [{ host_name: 'RT1', device_type: 'Router', operating_system: 'Cisco IOS', mac_address: inventoryMac.toUpperCase(), ip_address: '172.16.101.1' }])).status).toBe(202);
    for (let i = 0; i < 100 && (await getJson(runtime.url, `/devices/${inventoryMac}`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 100));

    const { body } = await getJson(runtime.url, '/live', { 'x-api-key': READ_ONLY_KEY });
    const client = await open(body.url);
    const first = await client.next((devices) => devices.some((d) => d.mac_address === inventoryMac), 5_000, 'the inventory device');
    for (const device of first.devices) {
      // Seed 004's fields, and `simulated` beside them (its dashboard ignores fields it does not know).
      expect(Object.keys(device).sort()).toEqual(['device_type', 'host_name', 'id', 'ip_address', 'mac_address', 'operating_system', 'simulated', 'snap_shots']);
      expect(device.simulated).toBe(false);
      expect(Number.isInteger(device.id)).toBe(true);
      expect(device.snap_shots.length).toBeGreaterThanOrEqual(1);
      for (const snapshot of device.snap_shots) {
        expect(Object.keys(snapshot).sort()).toEqual(['active_connection', 'download_speed', 'id', 'time_stamp', 'upload_speed']);
        expect(snapshot.time_stamp).toMatch(TIME_STAMP);
        expect(Number.isInteger(snapshot.upload_speed) && Number.isInteger(snapshot.download_speed)).toBe(true);
      }
    }
    const router = first.devices.find((d) => d.mac_address === inventoryMac) as LiveDevice;
    expect(router).toMatchObject({ host_name: 'RT1', device_type: 'Router', operating_system: 'Cisco IOS', ip_address: '172.16.101.1' });
    expect(router.snap_shots).toEqual([{ id: expect.any(Number), time_stamp: expect.stringMatching(TIME_STAMP), upload_speed: 0, download_speed: 0, active_connection: true }]);

    // Two readings 10 s apart: 125,000,000 bytes in is 100 Mbps down, 10,000,000 out is 8 Mbps up.
    const mac = uniqueMac();
    const t0 = Date.now() - 20_000;
    const post = (at: number, inOctets: bigint, outOctets: bigint) =>
      fetch(`${runtime.url}/relay-notification`, {
        method: 'POST',
        headers: { 'content-type': 'application/yang-data+json', 'x-api-key': TEST_API_KEY },
        body: notification(mac, new Date(at).toISOString(), inOctets, outOctets),
      });
    expect((await post(t0, 1_000_000_000n, 50_000_000n)).status).toBe(204);
    await client.next((devices) => devices.some((d) => d.mac_address === mac), 5_000, 'the notified device');
    const sent = Date.now();
    expect((await post(t0 + 10_000, 1_125_000_000n, 60_000_000n)).status).toBe(204);
    const update = await client.next(
      (devices) => devices.some((d) => d.mac_address === mac && d.snap_shots.some((s) => s.download_speed === 100)),
      3_000,
      'the 100 Mbps snapshot',
    );
    expect(update.at - sent).toBeLessThan(3_000);
    const device = update.devices.find((d) => d.mac_address === mac) as LiveDevice;
    expect(device.snap_shots.at(-1)).toMatchObject({ upload_speed: 8, download_speed: 100, active_connection: true });
    expect(device.snap_shots.at(-1)?.time_stamp).toBe(new Date(t0 + 10_000).toISOString().replace('T', ' ').replace('Z', '000'));
    // The HTTP API keeps bits/s.
    const view = await getJson(runtime.url, `/devices/${mac}`);
    expect(view.body.snap_shots.at(-1)).toMatchObject({ upload_speed: 8_000_000, download_speed: 100_000_000 });
  });

  it('pushes to each connection at most once a second', async () => {
    const { body } = await getJson(runtime.url, '/live');
    const client = await open(body.url);
    await client.next(() => true, 5_000, 'the first message');
    const records = Array.from({ length: 20 }, (_, i) => ({ host_name: `burst-${i}`, device_type: 'PC', operating_system: 'Linux', mac_address: uniqueMac(), ip_address: `10.9.0.${i + 1}` }));
    for (const record of records) await postJson(runtime.url, '/devices', [record]);
    await client.next((devices) => records.every((r) => devices.some((d) => d.mac_address === r.mac_address)), 10_000, 'every burst device');
    const times = client.messages.map((m) => m.at);
    for (let i = 1; i < times.length; i++) expect((times[i] as number) - (times[i - 1] as number)).toBeGreaterThanOrEqual(900);
  });

  it('with more devices than a push reads, pushes those that changed last', async () => {
    // Three devices a push at most (the broadcaster runs in this process); the runtime knows more by now.
    const configured = process.env.LIVE_MAX_DEVICES;
    process.env.LIVE_MAX_DEVICES = '3';
    try {
      const early = ['02:00:00:00:00:01', '02:00:00:00:00:02', '02:00:00:00:00:03'];
      const late = '02:ff:ff:ff:ff:fe';
      const inventory = (mac: string) => ({ host_name: `h-${mac}`, device_type: 'PC', operating_system: 'Linux', mac_address: mac, ip_address: '10.8.0.1' });
      expect((await postJson(runtime.url, '/devices', early.map(inventory))).status).toBe(202);
      const { body } = await getJson(runtime.url, '/live');
      const client = await open(body.url);
      await client.next((devices) => early.every((mac) => devices.some((d) => d.mac_address === mac)), 10_000, 'the three early devices');
      // By MAC, the late device comes after every other; it changed last, so it is pushed.
      expect((await postJson(runtime.url, '/devices', [inventory(late)])).status).toBe(202);
      const pushed = await client.next((devices) => devices.some((d) => d.mac_address === late), 10_000, 'the device that changed last');
      // Three devices: the late one, and two early ones (which two depends on whether the
      // broadcaster noted the early three at one time or in turn).
      const macs = pushed.devices.map((d) => d.mac_address);
      expect(macs).toHaveLength(3);
      expect(macs.at(-1)).toBe(late);
      expect(macs.slice(0, 2).every((mac) => early.includes(mac))).toBe(true);
    } finally {
      process.env.LIVE_MAX_DEVICES = configured;
    }
  });
});
