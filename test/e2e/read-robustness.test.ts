import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { TEST_API_KEY, eventually, startTestRuntime } from '../helpers/runtime.ts';
import { lambdaContext } from '../helpers/sqs-events.ts';
import { nextPage } from '../../dashboard/src/next-page.ts';

let runtime: LocalRuntime;
let base: string;

beforeAll(async () => {
  runtime = await startTestRuntime();
  base = runtime.url;
});
afterAll(async () => runtime?.stop());

interface Answer {
  /** The path asked for, which a Link's relative target is resolved against. */
  path: string;
  status: number;
  bytes: number;
  headers: Headers;
  body: unknown;
}

async function get(path: string): Promise<Answer> {
  const response = await fetch(`${base}${path}`, { headers: { 'x-api-key': TEST_API_KEY } });
  const text = await response.text();
  return { path, status: response.status, bytes: Buffer.byteLength(text), headers: response.headers, body: text === '' ? undefined : JSON.parse(text) };
}

async function post(path: string, body: string, type: string): Promise<number> {
  const response = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': type, 'x-api-key': TEST_API_KEY }, body });
  await response.arrayBuffer();
  return response.status;
}

const errorCode = (answer: Answer) => (answer.body as { error?: { code?: string } } | undefined)?.error?.code;
const nextLink = (answer: Answer) => nextPage(answer.headers.get('link'), answer.path);
const cursor = (text: string) => Buffer.from(text).toString('base64url');

describe('paths that do not decode or name prototype members', () => {
  it.each(['/packets/tables/%', '/packets/tables/%E0%A4%A', '/packets/tables/%zz', '/devices/%', '/devices/%E0%A4%A'])('%s -> 400', async (path) => {
    const answer = await get(path);
    expect(answer.status).toBe(400);
    expect(errorCode(answer)).toBe('invalid_input');
  });

  it.each([
    '/packets/tables/__proto__',
    '/packets/tables/constructor',
    '/packets/tables/toString',
    '/packets/tables/view?ProtocolName=__proto__',
    '/packets/tables/views?protocolname=constructor',
  ])('%s -> 404', async (path) => {
    const answer = await get(path);
    expect(answer.status).toBe(404);
    expect(errorCode(answer)).toBe('not_found');
  });
});

describe('cursors we did not issue', () => {
  const endpoints = ['/packets/tables/view?ProtocolName=TCP&', '/flows?hour=1&', '/notifications?', '/devices?'];
  const forged: [string, string][] = [
    ['over-long', 'A'.repeat(5000)],
    ['not base64url', 'not*base64'],
    ['a packet key past 1024 bytes', cursor(`${'0'.repeat(20)}#${'a'.repeat(2000)}`)],
    ['a notification key past 1024 bytes', cursor(`2025-01-01T00:00:00.000Z#${'a'.repeat(2000)}`)],
    ['a flow key past 1024 bytes', cursor(JSON.stringify({ shard: 0, after: 'a'.repeat(2000) }))],
    ['an empty flow key', cursor(JSON.stringify({ shard: 0, after: '' }))],
    ['a flow key with a lone surrogate', cursor('{"shard":0,"after":"\\ud800"}')],
    ['a shard that does not exist', cursor(JSON.stringify({ shard: 99 }))],
    ['JSON null', cursor('null')],
  ];
  const cases = endpoints.flatMap((endpoint) => forged.map(([what, value]): [string, string, string] => [endpoint, what, value]));

  it.each(cases)('%s with %s -> 400', async (endpoint, _, value) => {
    const answer = await get(`${endpoint}cursor=${value}`);
    expect(answer.status).toBe(400);
    expect(errorCode(answer)).toBe('invalid_input');
  });
});

describe('cursors we issued still page', () => {
  it('packets, flows, notifications and devices page to the end', async () => {
    const tcp = readFileSync('events/packets/tcp-ipv4.json', 'utf8');
    expect(await post('/packets', `[${tcp},${tcp},${tcp}]`, 'application/json')).toBe(202);
    const flows = ['a', 'b', 'c'].map((src) => ({ src_app: src, dest_app: 'd', vpc_id: 'vpc-1', bytes_tx: 1, bytes_rx: 1, hour: 7 }));
    expect(await post('/flows', JSON.stringify(flows), 'application/json')).toBe(202);
    const notification = readFileSync('events/notifications/seed-interfaces.json', 'utf8');
    for (let i = 0; i < 3; i++) expect(await post('/relay-notification', notification, 'application/yang-data+json')).toBe(204);
    expect(await post('/devices', readFileSync('events/devices/inventory.json', 'utf8'), 'application/json')).toBe(202);

    // Each walk follows the API's own cursors one row at a time.
    const walk = async (first: string, next: (answer: Answer) => string | undefined, rows: (answer: Answer) => number) => {
      let total = 0;
      for (let path: string | undefined = first; path !== undefined; ) {
        const answer = await get(path);
        if (answer.status !== 200) throw new Error(`${path} answered ${answer.status}`);
        total += rows(answer);
        path = next(answer);
      }
      return total;
    };
    const viewNext = (key: string, path: (cursor: string) => string) => (answer: Answer) => {
      const value = (answer.body as Record<string, unknown>)[key];
      return typeof value === 'string' ? path(value) : undefined;
    };
    const length = (key?: string) => (answer: Answer) => ((key === undefined ? answer.body : (answer.body as Record<string, unknown>)[key]) as unknown[]).length;

    await eventually(async () => ((await walk('/packets/tables/view?ProtocolName=TCP&Limit=1', viewNext('next', (c) => `/packets/tables/view?ProtocolName=TCP&Limit=1&cursor=${c}`), length('view'))) === 3 ? true : undefined), 20_000, 'three TCP packets, one page each');
    await eventually(async () => ((await walk('/flows?hour=7&limit=1', nextLink, length())) === 3 ? true : undefined), 20_000, 'three flows, one page each');
    await eventually(async () => ((await walk('/notifications?limit=1', viewNext('next', (c) => `/notifications?limit=1&cursor=${c}`), length('items'))) === 3 ? true : undefined), 20_000, 'three notifications, one page each');
    await eventually(async () => ((await walk('/devices?limit=1', nextLink, length())) >= 4 ? true : undefined), 20_000, 'the inventory, one device a page');
  });
});

describe('device views stay far below the 6 MB response limit', () => {
  const BIG = '02:ab:00:00:00:00';
  const BIG_FLOWS = 2000;
  const DEVICES = 100;
  const FLOWS_EACH = 100;
  const started = Date.UTC(2025, 0, 1);
  // The longest names Netify records may carry, so that each application is as large as it can be.
  const digest = (mac: string, i: number) => `${mac}-${i}-`.padEnd(128, 'x');
  const appName = (i: number) => `app-${i}-`.padEnd(256, 'n');
  const flow = (mac: string, i: number) =>
    JSON.stringify({ type: 'flow', flow: { digest: digest(mac, i), local_mac: mac, local_ip: '10.0.0.1', detected_application_name: appName(i), last_seen_at: started + i * 1000 } });
  const macOf = (n: number) => `02:ab:00:00:01:${n.toString(16).padStart(2, '0')}`;

  beforeAll(async () => {
    const lines = [
      ...Array.from({ length: BIG_FLOWS }, (_, i) => flow(BIG, i)),
      JSON.stringify({ type: 'flow_stats', flow: { digest: digest(BIG, BIG_FLOWS - 1), local_bytes: 100, other_bytes: 900, local_packets: 1, other_packets: 9 } }),
      ...Array.from({ length: DEVICES }, (_, d) => Array.from({ length: FLOWS_EACH }, (_, i) => flow(macOf(d), i))).flat(),
    ];
    for (let i = 0; i < lines.length; i += 2000) {
      expect(await post('/netify', lines.slice(i, i + 2000).join('\n'), 'application/x-ndjson')).toBe(202);
    }
    // Totals alone are cheap to list: wait until every application is stored.
    await eventually(async () => {
      const answer = await get('/devices?limit=200&applications=0&snapshots=0');
      const views = answer.body as { mac_address: string; applications_total: number }[];
      const stored = views.filter((v) => v.mac_address.startsWith('02:ab:')).reduce((sum, v) => sum + v.applications_total, 0);
      return stored === BIG_FLOWS + DEVICES * FLOWS_EACH ? true : undefined;
    }, 240_000, 'every Netify flow stored');
  }, 300_000);

  it('GET /devices/{mac} shows the newest applications and counts them all', async () => {
    const answer = await get(`/devices/${BIG}`);
    expect(answer.status).toBe(200);
    const view = answer.body as { applications: { digest: string; bytes_ttl: number; pkts_ttl: number }[]; applications_total: number; interfaces_total: number };
    expect(view.applications_total).toBe(BIG_FLOWS);
    expect(view.interfaces_total).toBe(0);
    expect(view.applications.map((a) => a.digest)).toEqual(Array.from({ length: 100 }, (_, i) => digest(BIG, BIG_FLOWS - 1 - i)));
    expect(view.applications[0]).toMatchObject({ bytes_ttl: 1000, pkts_ttl: 10 });
    // All 2000 applications would be over 1 MB.
    expect(answer.bytes).toBeLessThan(100_000);

    const more = await get(`/devices/${BIG}?applications=1000`);
    expect((more.body as { applications: unknown[] }).applications).toHaveLength(1000);
  });

  it('GET /devices ends a page by size and carries on with the Link', async () => {
    const seen: string[] = [];
    let pages = 0;
    for (let path: string | undefined = '/devices?limit=200'; path !== undefined; pages++) {
      const answer = await get(path);
      expect(answer.status).toBe(200);
      expect(answer.bytes).toBeLessThanOrEqual(4_000_000);
      seen.push(...(answer.body as { mac_address: string }[]).map((v) => v.mac_address));
      path = nextLink(answer);
    }
    const ours = seen.filter((mac) => mac.startsWith('02:ab:'));
    // 101 views of about 55 kB each do not fit in one 4 MB page.
    expect(pages).toBeGreaterThan(1);
    expect(ours).toEqual([BIG, ...Array.from({ length: DEVICES }, (_, d) => macOf(d))]);
    expect(new Set(seen).size).toBe(seen.length);
  });

  /** GET /devices?limit=200 as API Gateway hands it to the function, the request arrived at `timeEpoch` when given. */
  const devicePageEvent = (requestId: string, timeEpoch?: number): APIGatewayProxyEventV2 => ({
    version: '2.0',
    routeKey: 'GET /devices',
    rawPath: '/devices',
    rawQueryString: 'limit=200',
    headers: {},
    isBase64Encoded: false,
    requestContext: {
      http: { method: 'GET', path: '/devices', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId,
      routeKey: 'GET /devices',
      stage: '$default',
      ...(timeEpoch === undefined ? {} : { timeEpoch }),
    } as APIGatewayProxyEventV2['requestContext'],
  });

  it('GET /devices ends a page early when the time left runs short, and the Link carries on', async () => {
    const { handler, LIST_RESERVE_MS } = await import('../../functions/devices/query.ts');
    // The function called directly, with time left for one group of views and no more.
    const short = await handler(devicePageEvent('short-time'), { ...lambdaContext('devicesQuery'), getRemainingTimeInMillis: () => LIST_RESERVE_MS + 1 });
    expect(short.statusCode).toBe(200);
    const first = (JSON.parse(String(short.body)) as { mac_address: string }[]).map((v) => v.mac_address);
    // One group (8 views in parallel) at most, of the 101 and more that the page could hold by size.
    expect(first.length).toBeGreaterThan(0);
    expect(first.length).toBeLessThanOrEqual(8);
    const link = nextPage(String(short.headers?.link ?? ''), '/devices?limit=200');
    expect(link).toBeDefined();

    // The rest over HTTP from that Link, on the function's own clock.
    const seen = [...first];
    for (let path: string | undefined = link; path !== undefined; ) {
      const answer = await get(path);
      expect(answer.status).toBe(200);
      seen.push(...(answer.body as { mac_address: string }[]).map((v) => v.mac_address));
      path = nextLink(answer);
    }
    expect(seen.filter((mac) => mac.startsWith('02:ab:'))).toEqual([BIG, ...Array.from({ length: DEVICES }, (_, d) => macOf(d))]);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it("GET /devices also ends a page early by the gateway's clock, which a cold start's init has run on before the function's", async () => {
    const { handler, LIST_RESERVE_MS, GATEWAY_LIMIT_MS } = await import('../../functions/devices/query.ts');
    // The function has its whole 29 s, but the request arrived long enough ago that the
    // gateway's limit leaves time for one group of views.
    const late = await handler(devicePageEvent('late-start', Date.now() - GATEWAY_LIMIT_MS + LIST_RESERVE_MS + 1), { ...lambdaContext('devicesQuery'), getRemainingTimeInMillis: () => 29_000 });
    expect(late.statusCode).toBe(200);
    const views = JSON.parse(String(late.body)) as unknown[];
    expect(views.length).toBeGreaterThan(0);
    expect(views.length).toBeLessThanOrEqual(8);
    expect(nextPage(String(late.headers?.link ?? ''), '/devices?limit=200')).toBeDefined();
  });
});
