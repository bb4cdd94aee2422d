import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, gap, openTarget, settled, uniqueHour, uniqueMac, until, type Target } from './target.ts';
import { nextPage } from '../../dashboard/src/next-page.ts';
import { CHROMIUM, NO_CHROMIUM, launchChromium } from '../helpers/chromium.ts';

// Every capability over HTTP, against whichever target E2E_TARGET names (embedded by default):
// through API Gateway (or the runtime's gateway), the authorizer, the ingest functions, the
// queues, the writers, the tables and the query functions of the deployed stack.
let target: Target;

beforeAll(async () => {
  target = await openTarget();
}, 180_000);
afterAll(async () => target?.close());

const timeout = { timeout: 300_000 };
/** Layers the simulator also sends on a deployment (where its schedule runs): counts there only grow. */
const SIMULATED_LAYERS = new Set(['Packet_802_3', 'IPv4', 'TCP']);
const samplePackets = readdirSync('events/packets')
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(`events/packets/${f}`, 'utf8')) as Record<string, unknown>);

/** A notification in RFC 8343 form: one interface with this MAC and these counters. */
function interfaceReading(eventTime: string, mac: string, inOctets: bigint, outOctets: bigint): string {
  const notification = JSON.parse(readFileSync('events/notifications/rfc8343.json', 'utf8'));
  const body = notification['ietf-https-notif:notification'];
  body.eventTime = eventTime;
  const iface = body['ietf-interfaces:interfaces'].interface[0];
  iface.name = `e2e-${target.runId}`;
  iface['phys-address'] = mac;
  iface.statistics['in-octets'] = String(inOctets);
  iface.statistics['out-octets'] = String(outOctets);
  return JSON.stringify(notification);
}

describe('end to end', () => {
  it('authentication: health and capabilities are public, everything else wants a key in one of three forms', async () => {
    expect((await fetch(`${target.url}/health`)).status).toBe(200);
    expect(await (await fetch(`${target.url}/health`)).json()).toEqual({ status: 'ok' });
    expect((await fetch(`${target.url}/packets/tables/all`)).status).toBe(401);
    expect((await fetch(`${target.url}/packets/tables/all`, { headers: { 'x-api-key': `not-${target.key}` } })).status).toBe(401);
    expect((await fetch(`${target.url}/packets/tables/all`, { headers: { authorization: `Bearer ${target.key}` } })).status).toBe(200);
    const basic = Buffer.from(`publisher:${target.key}`).toString('base64');
    expect((await fetch(`${target.url}/packets/tables/all`, { headers: { authorization: `Basic ${basic}` } })).status).toBe(200);
    expect((await call(target, 'GET', '/packets')).status).toBe(200);
  });

  it('packets: every layer of the client posted, counted once per layer, listed and viewable in pages', timeout, async () => {
    const before = (await call(target, 'GET', '/packets/tables/all')).body as Record<string, number>;
    const expected: Record<string, number> = {};
    for (const packet of samplePackets) {
      for (const layer of Object.keys(packet).filter((k) => k !== 'Info')) expected[layer] = (expected[layer] ?? 0) + 1;
    }
    const posted = await call(target, 'POST', '/packets', JSON.stringify(samplePackets));
    expect(posted).toMatchObject({ status: 202, body: { accepted: samplePackets.length } });
    const reached = (counts: Record<string, number>) =>
      Object.entries(expected).every(([layer, n]) => (counts[layer] ?? 0) >= (before[layer] ?? 0) + n);
    await until(target, 'every layer counted', async () => {
      const { body } = await call(target, 'GET', '/packets/tables/all');
      return reached(body) ? true : undefined;
    });
    // Exact, however often a message was delivered; the simulator's layers only grow on a deployment.
    const after = (await settled(target, () => call(target, 'GET', '/packets/tables/all'))).body as Record<string, number>;
    for (const [layer, n] of Object.entries(expected)) {
      if (target.name !== 'embedded' && SIMULATED_LAYERS.has(layer)) expect(after[layer]).toBeGreaterThanOrEqual((before[layer] ?? 0) + n);
      else expect({ layer, count: after[layer] }).toEqual({ layer, count: (before[layer] ?? 0) + n });
    }
    const { body: listed } = await call(target, 'GET', '/packets/tables');
    expect(listed.protocols).toEqual(expect.arrayContaining(Object.keys(expected)));
    expect((await call(target, 'GET', '/packets/tables/i_pv4')).body).toEqual({ IPv4: after.IPv4 });
    expect((await call(target, 'GET', '/packets/tables/nonesuch')).status).toBe(404);
  });

  it('packets: three more UDP packets, a view in the client\'s `;` form and pages by cursor', timeout, async () => {
    const before = (await call(target, 'GET', '/packets/tables/all')).body as Record<string, number>;
    const packet = JSON.parse(readFileSync('events/packets/udp-ipv4.json', 'utf8'));
    expect((await call(target, 'POST', '/packets', JSON.stringify([packet, packet, packet]))).status).toBe(202);
    await until(target, 'three more UDP packets', async () => {
      const now = (await call(target, 'GET', '/packets/tables/UDP')).body;
      return now.UDP === (before.UDP ?? 0) + 3 ? true : undefined;
    });
    const view = await call(target, 'GET', '/packets/tables/view?ProtocolName=UDP;Limit=2');
    expect(view.status).toBe(200);
    expect(view.body.view).toHaveLength(2);
    expect(view.body.view[0]).toMatchObject({ Source_Port: 53, Destination_Port: 50312 });
    const first = await call(target, 'GET', '/packets/tables/views?protocolname=udp&limit=1');
    expect(first.body.next).toEqual(expect.any(String));
    const second = await call(target, 'GET', `/packets/tables/views?protocolname=udp&limit=1&cursor=${encodeURIComponent(first.body.next)}`);
    expect(second.body.view).toHaveLength(1);
    expect(second.body.view[0].packet_id).not.toBe(first.body.view[0].packet_id);
    // Packets teach the service about devices: the addresses and per-device protocol counts.
    const device = await until(target, 'the device the packets came from', async () => {
      const { status, body } = await call(target, 'GET', '/devices/00-15-5D-44-43-68');
      return status === 200 && body.protocols.UDP >= 3 ? body : undefined;
    });
    expect(device).toMatchObject({ mac_address: '00:15:5d:44:43:68', ip_address: '172.27.118.244' });
  });

  it('flow logs (JSON): summed by hour, on either path', timeout, async () => {
    const hour = uniqueHour();
    const rows = [
      { src_app: `e2e-${target.runId}`, dest_app: 'db', vpc_id: 'vpc-e2e', bytes_tx: 10, bytes_rx: 20, hour },
      { src_app: `e2e-${target.runId}`, dest_app: 'db', vpc_id: 'vpc-e2e', bytes_tx: 5, bytes_rx: 1, hour },
    ];
    expect(await call(target, 'POST', '/flows', JSON.stringify(rows.slice(0, 1)))).toMatchObject({ status: 202, body: { accepted: 1 } });
    expect(await call(target, 'POST', '/flowlogs', JSON.stringify(rows.slice(1)))).toMatchObject({ status: 202, body: { accepted: 1 } });
    const summed = await until(target, 'the hour summed', async () => {
      const { body } = await call(target, 'GET', `/flows?hour=${hour}`);
      return body.length === 1 && body[0].bytes_tx === 15 ? body : undefined;
    });
    expect(summed[0]).toEqual({ src_app: `e2e-${target.runId}`, dest_app: 'db', vpc_id: 'vpc-e2e', bytes_tx: 15, bytes_rx: 21, hour });
    expect((await settled(target, () => call(target, 'GET', `/flowlogs?hour=${hour}`))).body).toEqual(summed);
    expect((await call(target, 'GET', '/flows?hour=-1')).status).toBe(400);
  });

  it('flow logs (JSON): sums beyond 2^53 stay exact, and long hours are paged with a Link header', timeout, async () => {
    const hour = uniqueHour();
    const max = '18446744073709551615';
    // Written by hand: JSON.stringify cannot write an integer beyond 2^53 exactly.
    const big = `{"src_app":"e2e-big-${target.runId}","dest_app":"db","vpc_id":"vpc-e2e","bytes_tx":${max},"bytes_rx":1,"hour":${hour}}`;
    expect((await call(target, 'POST', '/flows', `[${big},${big}]`)).status).toBe(202);
    const small = ['a', 'b'].map((app) => ({ src_app: `e2e-${app}-${target.runId}`, dest_app: 'db', vpc_id: 'vpc-e2e', bytes_tx: 1, bytes_rx: 1, hour }));
    expect((await call(target, 'POST', '/flows', JSON.stringify(small))).status).toBe(202);
    const text = await until(target, 'the big sum', async () => {
      const answer = await call(target, 'GET', `/flows?hour=${hour}`);
      return answer.body.length === 3 && answer.text.includes('"bytes_tx":36893488147419103230') ? answer.text : undefined;
    });
    expect(text).toContain(`"src_app":"e2e-big-${target.runId}","dest_app":"db","vpc_id":"vpc-e2e","bytes_tx":36893488147419103230,"bytes_rx":2,`);
    const page = await call(target, 'GET', `/flows?hour=${hour}&limit=2`);
    expect(page.body).toHaveLength(2);
    // Relative to the request (flows?...), so that it leads on wherever the API's root is.
    expect(page.headers.get('link')).toMatch(new RegExp(`^<flows\\?hour=${hour}&limit=2&cursor=[^>]+>; rel="next"$`));
    const next = nextPage(page.headers.get('link'), `/flows?hour=${hour}&limit=2`);
    expect(next).toMatch(new RegExp(`^/flows\\?hour=${hour}&limit=2&cursor=`));
    const rest = await call(target, 'GET', next as string);
    expect(rest.body).toHaveLength(1);
    expect(new Set([...page.body, ...rest.body].map((r: { src_app: string }) => r.src_app)).size).toBe(3);
  });

  it('flow logs (AWS VPC Flow Logs text): records summed by hour, NODATA and SKIPDATA skipped and counted', timeout, async () => {
    const hour = uniqueHour();
    const eni = `eni-${target.runId}`;
    const start = hour * 3600 + 10;
    const text = [
      `2 123456789010 ${eni} 10.20.0.1 10.20.0.2 443 50000 6 10 1000 ${start} ${start + 60} ACCEPT OK`,
      `2 123456789010 ${eni} 10.20.0.1 10.20.0.2 443 50001 6 5 500 ${start + 60} ${start + 120} ACCEPT OK`,
      `2 123456789010 ${eni} - - - - - - - ${start} ${start + 60} - NODATA`,
      `2 123456789010 ${eni} - - - - - - - ${start} ${start + 60} - SKIPDATA`,
    ].join('\n');
    expect(await call(target, 'POST', '/flows', text, 'text/plain')).toMatchObject({ status: 202, body: { accepted: 2, skipped: 2 } });
    const rows = await until(target, 'the VPC records summed', async () => {
      const { body } = await call(target, 'GET', `/flows?hour=${hour}`);
      return body.length === 1 && body[0].bytes_tx === 1500 ? body : undefined;
    });
    expect(rows).toEqual([{ src_app: '10.20.0.1', dest_app: '10.20.0.2', vpc_id: eni, bytes_tx: 1500, bytes_rx: 0, hour }]);
    const defaults = await call(target, 'POST', '/flows', readFileSync('events/flows/vpc-default.txt', 'utf8'), 'text/plain');
    expect(defaults).toMatchObject({ status: 202, body: { accepted: 3, skipped: 2 } });
  });

  it('notifications (JSON): capabilities, 204, listed newest first', timeout, async () => {
    const json = await fetch(`${target.url}/capabilities`, { headers: { accept: 'application/yang-data+json' } });
    expect(json.headers.get('content-type')).toBe('application/json');
    expect(JSON.stringify(await json.json())).toContain('urn:ietf:capability:https-notif-receiver:encoding:xml');
    const xml = await fetch(`${target.url}/capabilities`);
    expect(xml.headers.get('content-type')).toBe('application/xml');
    expect(await xml.text()).toContain('<receiver-capability>urn:ietf:capability:https-notif-receiver:encoding:json</receiver-capability>');
    const eventTime = new Date().toISOString();
    const body = readFileSync('events/notifications/rfc8343.json', 'utf8').replace('2025-03-17T22:34:58.812159Z', eventTime);
    const answer = await call(target, 'POST', '/relay-notification', body, 'application/yang-data+json');
    expect(answer.status).toBe(204);
    expect(answer.text).toBe('');
    await until(target, 'the notification listed', async () => {
      const { body: list } = await call(target, 'GET', '/notifications?limit=200');
      return list.items.some((n: { eventTime: string }) => n.eventTime === eventTime) ? true : undefined;
    });
    expect((await call(target, 'POST', '/relay-notification', '{"ietf-https-notif:notification":', 'application/json')).status).toBe(415);
  });

  it('notifications (XML): both roots accepted, stored as JSON', timeout, async () => {
    const eventTime = new Date(Date.now() - 1_000).toISOString();
    const seed = readFileSync('events/notifications/seed-interfaces.xml', 'utf8').replace('2025-03-17T22:33:58.812159Z', eventTime);
    const answer = await call(target, 'POST', '/notifications', seed, 'application/yang-data+xml');
    expect(answer.status).toBe(204);
    const rfc5277Time = new Date(Date.now() - 2_000).toISOString();
    const rfc5277 = readFileSync('events/notifications/rfc8343-single.xml', 'utf8').replace(/<eventTime>[^<]*<\/eventTime>/, `<eventTime>${rfc5277Time}</eventTime>`);
    expect((await call(target, 'POST', '/relay-notification', rfc5277, 'application/xml; charset=utf-8')).status).toBe(204);
    const stored = await until(target, 'both XML notifications listed', async () => {
      const { body: list } = await call(target, 'GET', '/notifications?limit=200');
      const seedItem = list.items.find((n: { eventTime: string }) => n.eventTime === eventTime);
      return seedItem && list.items.some((n: { eventTime: string }) => n.eventTime === rfc5277Time) ? seedItem : undefined;
    });
    expect(JSON.stringify(stored)).toContain('3c:91:80:2b:68:23');
    const bomb = '<!DOCTYPE a [<!ENTITY a "aaaa">]><ietf-https-notif:notification/>';
    expect((await call(target, 'POST', '/relay-notification', bomb, 'application/xml')).status).toBe(400);
  });

  it('devices: speed snapshots and interface statistics from consecutive notifications', timeout, async () => {
    const mac = uniqueMac('02:e3');
    const t0 = Date.now() - 10 * 60_000;
    // 60 s apart: 7.5 MB in and 1.5 MB out -> 1,000,000 bit/s down, 200,000 up.
    expect((await call(target, 'POST', '/relay-notification', interfaceReading(new Date(t0).toISOString(), mac, 1_000_000n, 500_000n))).status).toBe(204);
    await until(target, 'the device', async () => ((await call(target, 'GET', `/devices/${mac}`)).status === 200 ? true : undefined));
    expect((await call(target, 'POST', '/relay-notification', interfaceReading(new Date(t0 + 60_000).toISOString(), mac, 8_500_000n, 2_000_000n))).status).toBe(204);
    const view = await until(target, 'a snapshot and the latest statistics', async () => {
      const { body } = await call(target, 'GET', `/devices/${mac}`);
      return body.snap_shots.length === 1 && body.interfaces[0]?.statistics['in-octets'] === '8500000' ? body : undefined;
    });
    expect(view.snap_shots).toEqual([
      { time_stamp: new Date(t0 + 60_000).toISOString(), upload_speed: 200_000, download_speed: 1_000_000, active_connection: true },
    ]);
    expect(view).toMatchObject({ mac_address: mac, interfaces_total: 1, interfaces: [{ name: `e2e-${target.runId}` }] });
  });

  it('devices: inventory and Netify merged into one view, listed in pages', timeout, async () => {
    const mac = uniqueMac();
    const inventory = [{ host_name: `e2e-${target.runId}`, device_type: 'Laptop', operating_system: 'Linux', mac_address: mac.toUpperCase(), ip_address: '10.9.8.7' }];
    expect(await call(target, 'POST', '/devices', JSON.stringify(inventory))).toMatchObject({ status: 202, body: { accepted: 1 } });
    const netify = [
      JSON.stringify({ length: 200 }),
      JSON.stringify({ type: 'agent_status', version: '4.4.7', flows: 1, uptime: 10 }),
      JSON.stringify({ type: 'flow', flow: { digest: `d${target.runId}`, local_mac: mac, local_ip: '10.9.8.7', detected_application_name: 'netify.e2e' } }),
      JSON.stringify({ type: 'flow_stats', flow: { digest: `d${target.runId}`, local_bytes: 100, other_bytes: 200, local_packets: 1, other_packets: 2 } }),
    ].join('\n');
    expect((await call(target, 'POST', '/netify', netify, 'application/x-ndjson')).body).toEqual({ accepted: 2, skipped: 2 });
    const view = await until(target, 'the device view', async () => {
      const { status, body } = await call(target, 'GET', `/devices/${mac.replace(/:/g, '-')}`);
      return status === 200 && body.host_name !== null && body.applications[0]?.bytes_ttl === 300 ? body : undefined;
    });
    expect(view).toMatchObject({
      mac_address: mac,
      ip_address: '10.9.8.7',
      host_name: `e2e-${target.runId}`,
      device_type: 'Laptop',
      operating_system: 'Linux',
      applications_total: 1,
      applications: [{ digest: `d${target.runId}`, app_name: 'netify.e2e', bytes_up: 100, bytes_dn: 200, bytes_ttl: 300, pkts_ttl: 3 }],
    });
    const first = await call(target, 'GET', '/devices?limit=2');
    expect(first.body).toHaveLength(2);
    const next = nextPage(first.headers.get('link'), '/devices?limit=2');
    const second = await call(target, 'GET', next as string);
    expect(second.status).toBe(200);
    const macs = [...first.body, ...second.body].map((d: { mac_address: string }) => d.mac_address);
    expect(macs).toEqual([...macs].sort());
    expect((await call(target, 'GET', '/devices/00:00:5e:00:53:ff')).status).toBe(404);
    expect((await call(target, 'GET', '/devices/zz:zz:zz:zz:zz:zz')).status).toBe(400);
  });

  it('Idempotency-Key: a retry is stored once and answered alike; the key with another body is 422', timeout, async () => {
    const hour = uniqueHour();
    const rows = (bytes: number) => JSON.stringify([{ src_app: `e2e-idem-${target.runId}`, dest_app: 'db', vpc_id: 'vpc-e2e', bytes_tx: bytes, bytes_rx: 0, hour }]);
    const headers = { 'idempotency-key': `k-${target.runId}` };
    const first = await call(target, 'POST', '/flows', rows(10), 'application/json', headers);
    const again = await call(target, 'POST', '/flows', rows(10), 'application/json', headers);
    expect([first.status, again.status]).toEqual([202, 202]);
    expect(again.body).toEqual(first.body);
    const reused = await call(target, 'POST', '/flows', rows(11), 'application/json', headers);
    expect(reused.status).toBe(422);
    expect(reused.body.error.code).toBe('idempotency_key_reused');
    await until(target, 'the sum', async () => ((await call(target, 'GET', `/flows?hour=${hour}`)).body[0]?.bytes_tx === 10 ? true : undefined));
    expect((await settled(target, () => call(target, 'GET', `/flows?hour=${hour}`))).body[0].bytes_tx).toBe(10);
  });

  it('bad input: 400 naming record and field, lenient handling, 413 and 415, nothing half-queued', timeout, async () => {
    const bad = await call(target, 'POST', '/packets', JSON.stringify([samplePackets[0], { NoSuchLayer: {} }]));
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0]).toMatchObject({ record: 1 });
    const hour = uniqueHour();
    const good = { src_app: `e2e-lenient-${target.runId}`, dest_app: 'db', vpc_id: 'vpc-e2e', bytes_tx: 1, bytes_rx: 1, hour };
    const lenient = await call(target, 'POST', '/flows', JSON.stringify([good, { ...good, bytes_tx: -1 }]), 'application/json', { prefer: 'handling=lenient' });
    expect(lenient.status).toBe(202);
    expect(lenient.body).toMatchObject({ accepted: 1, rejected: [{ record: 1, field: 'bytes_tx' }] });
    expect(lenient.headers.get('preference-applied')).toBe('handling=lenient');
    expect((await call(target, 'POST', '/flows', 'a,b,c', 'text/csv')).status).toBe(415);
    const tooBig = JSON.stringify({ 'ietf-https-notif:notification': { eventTime: new Date().toISOString(), pad: 'x'.repeat(1_100_000) } });
    expect((await call(target, 'POST', '/relay-notification', tooBig, 'application/json')).status).toBe(413);
    await until(target, 'the lenient record', async () => ((await call(target, 'GET', `/flows?hour=${hour}`)).body[0]?.bytes_tx === 1 ? true : undefined));
  });

  it('dashboard: the page and its files are served by the API, without a key', async () => {
    const page = await fetch(`${target.url}/dashboard`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    // Linked from the page's place: the API's root is not the host's on every target.
    const files = [...html.matchAll(/(?:src|href)="(dashboard\/assets\/[^"]+)"/g)].map((m) => m[1] as string);
    expect(files.length, html).toBeGreaterThanOrEqual(2);
    for (const file of files) {
      const response = await fetch(new URL(file, `${target.url}/dashboard`));
      expect(response.status, file).toBe(200);
      expect(response.headers.get('content-type'), file).toMatch(file.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
      expect((await response.text()).length, file).toBeGreaterThan(1_000);
    }
    expect((await fetch(`${target.url}/dashboard/no-such-file.js`)).status).toBe(404);
  });

  it('dashboard: in a browser, the page goes live and shows a device posted while it is open', timeout, async (context) => {
    const reason = gap('live');
    if (reason) context.skip(reason);
    if (CHROMIUM === undefined) context.skip(NO_CHROMIUM);
    if ((await call(target, 'GET', '/live')).status === 404) context.skip('this stack has no live channel (live: off): the page polls instead');
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(`${target.url}/dashboard?key=${encodeURIComponent(target.key)}`);
      await expect.poll(() => page.getByTestId('live-state').innerText(), { timeout: 30_000 }).toBe('Live');
      const mac = uniqueMac('02:e6');
      const inventory = [{ host_name: `browser-${target.runId}`, device_type: 'Laptop', operating_system: 'Linux', mac_address: mac, ip_address: '10.9.8.5' }];
      expect((await call(target, 'POST', '/devices', JSON.stringify(inventory))).status).toBe(202);
      // Pushed over the live channel: the table the pushes fill, not one a poll filled.
      await page.locator('table[data-testid="devices"][data-source="live"]', { hasText: `browser-${target.runId}` }).waitFor({ timeout: target.waitMs });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('CORS: API Gateway answers preflights', async (context) => {
    const reason = gap('cors');
    if (reason) context.skip(reason);
    const response = await fetch(`${target.url}/packets`, {
      method: 'OPTIONS',
      headers: { origin: 'https://dashboard.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-api-key,content-type' },
    });
    expect(response.status).toBeLessThan(300);
    expect(response.headers.get('access-control-allow-origin')).toMatch(/^(\*|https:\/\/dashboard\.example)$/);
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
  });

  it('live push: a WebSocket URL from GET /live sends the device list, then again when a device changes', timeout, async (context) => {
    const reason = gap('live');
    if (reason) context.skip(reason);
    const live = await call(target, 'GET', '/live');
    if (live.status === 404) context.skip('this stack has no live push yet: serverless.yml declares no GET /live route and no WebSocket API');
    expect(live.status).toBe(200);
    // The URL as handed out, as a browser opens it.
    const socket = new WebSocket(live.body.url);
    const messages: { mac_address: string; host_name: string | null }[][] = [];
    let arrived: () => void = () => undefined;
    socket.addEventListener('message', (event) => {
      messages.push(JSON.parse(String(event.data)));
      arrived();
    });
    /** The first message (from the one on hand) that holds a device matching `found`. */
    const nextMessage = (found: (devices: (typeof messages)[number]) => boolean, ms: number) =>
      new Promise<(typeof messages)[number]>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no such message within ${ms / 1000} s (${messages.length} received)`)), ms);
        socket.addEventListener('error', () => reject(new Error('WebSocket error')), { once: true });
        const check = () => {
          const match = messages.find(found);
          if (match === undefined) return;
          clearTimeout(timer);
          resolve(match);
        };
        arrived = check;
        check();
      });
    try {
      expect(Array.isArray(await nextMessage(() => true, 30_000))).toBe(true);
      // A device the connection has not seen: the devices table's stream pushes the array again.
      const mac = uniqueMac('02:e5');
      const inventory = [{ host_name: `live-${target.runId}`, device_type: 'Laptop', operating_system: 'Linux', mac_address: mac, ip_address: '10.9.8.6' }];
      expect((await call(target, 'POST', '/devices', JSON.stringify(inventory))).status).toBe(202);
      const pushed = await nextMessage((devices) => devices.some((d) => d.mac_address === mac), target.waitMs);
      expect(pushed.find((d) => d.mac_address === mac)).toMatchObject({ mac_address: mac, host_name: `live-${target.runId}` });
    } finally {
      socket.close();
    }
  });
});
