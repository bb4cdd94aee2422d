import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { INGEST_ONLY_KEY, TEST_API_KEY, eventually, getJson, startTestRuntime } from '../helpers/runtime.ts';
import { SnifferClient, curlCall, pythonJsonDumps, requestsCall, snifferPacket, type WireRequest } from '../helpers/wire.ts';

// The original systems' own clients, replayed against netingest as they are on the wire:
// the network-monitor-client sniffer (seed 000, aiohttp), the Netify agent's socket output
// posted with curl (seed 001), the seed-002 https-notif publisher (python-requests), the
// flow-log service's curl (seed 003) and the dashboard network server's device list (seed
// 004, python-requests), over HTTP and over HTTPS with the runtime's self-signed certificate.

let runtime: LocalRuntime;
let serverCert: Buffer;

beforeAll(async () => {
  runtime = await startTestRuntime({ https: { port: 0, certDir: mkdtempSync(join(tmpdir(), 'netingest-tls-')) } });
  serverCert = readFileSync(runtime.certFile as string);
});
afterAll(async () => runtime?.stop());

const read = (path: string) => getJson(runtime.url, path);
/** A base URL with credentials in it, as the Python clients are given them. */
function withCredentials(base: string, user: string, key: string): string {
  const url = new URL(base);
  url.username = user;
  url.password = key;
  return url.toString().replace(/\/$/, '');
}

const samples = readdirSync('events/packets')
  .sort()
  .map((file) => JSON.parse(readFileSync(join('events/packets', file), 'utf8')) as Record<string, unknown>);
let packetsSent = 0;

const python = spawnSync('python3', ['-c', 'import json'], { encoding: 'utf8' }).status === 0;
it.skipIf(!python)("writes bodies exactly as Python's json.dumps does (checked against python3 when installed)", () => {
  const values = [...samples, { text: 'café 😀 \u007f \n "q" \\', list: [1, 2.5, -0.001, null, true], nested: { empty: {}, none: [] } }];
  for (const value of values) {
    const python3 = spawnSync('python3', ['-c', 'import json,sys; sys.stdout.write(json.dumps(json.loads(sys.stdin.read())))'], { input: JSON.stringify(value), encoding: 'utf8' });
    expect(pythonJsonDumps(value)).toBe(python3.stdout);
  }
});

describe.each(['http', 'https'] as const)('the original clients over %s', (scheme) => {
  const base = () => (scheme === 'http' ? runtime.url : (runtime.httpsUrl as string));
  // Clients that verify the server trust the runtime's certificate (as with SSL_CERT_FILE).
  const tls = (): WireRequest['tls'] => (scheme === 'https' ? { ca: serverCert } : undefined);

  describe('network-monitor-client (the sniffer)', () => {
    it('passes its liveness check with Basic from a user:key@host URL, then each packet is answered within its 1 s timeout', async () => {
      const client = new SnifferClient(`${withCredentials(base(), 'sniffer', TEST_API_KEY)}/packets`, tls());
      try {
        const live = await client.liveness();
        expect(live.status).toBe(200);
        expect(live.ms).toBeLessThan(1000);
        for (const [i, sample] of samples.entries()) {
          const response = await client.submit(snifferPacket(structuredClone(sample), 60 + i));
          expect(response.status, response.body).toBeLessThan(400);
          expect(response.status).toBe(202);
          expect(JSON.parse(response.body)).toEqual({ accepted: 1 });
          expect(response.ms, `packet ${i} took ${Math.round(response.ms)} ms`).toBeLessThan(1000);
        }
        expect(client.storage).toBe('remote');
      } finally {
        client.close();
      }
      packetsSent += samples.length;
      // Every packet has an AF_Packet layer: the count is exact once the writer has them all.
      await eventually(async () => ((await read('/packets/tables/AF_Packet')).body?.AF_Packet === packetsSent ? true : undefined), 30_000, `${packetsSent} packets`);
    });

    it('sends exactly what Python json.dumps writes, and that is what is stored', async () => {
      const packet = snifferPacket(structuredClone(samples.find((s) => 'TCP' in s) as Record<string, unknown>), 54);
      const body = pythonJsonDumps(packet);
      expect(body).toContain('}, "IPv4": {"Version": 4, "IHL": 5, ');
      const client = new SnifferClient(`${withCredentials(base(), 'sniffer', TEST_API_KEY)}/packets`, tls());
      try {
        expect((await client.liveness()).status).toBe(200);
        expect((await client.submit(packet)).status).toBe(202);
      } finally {
        client.close();
      }
      packetsSent += 1;
      const port = (packet.TCP as { Source_Port: number }).Source_Port;
      const row = await eventually(async () => {
        const view = await read('/packets/tables/view?ProtocolName=TCP;Limit=100');
        return (view.body.view as { Source_Port: number; timestamp: string }[]).find((r) => r.Source_Port === port);
      });
      expect(row).toMatchObject({ Source_Port: port, Destination_Port: (packet.TCP as { Destination_Port: number }).Destination_Port });
    });

    it('without a valid key its liveness check is not 200, so it would keep to its local files', async () => {
      const client = new SnifferClient(`${withCredentials(base(), 'sniffer', 'wrong-key')}/packets`, tls());
      try {
        expect((await client.liveness()).status).toBe(401);
        expect(client.storage).toBe('local');
      } finally {
        client.close();
      }
      // An ingest-only key is refused the GET (403): the sniffer's key needs both scopes.
      const ingestOnly = new SnifferClient(`${withCredentials(base(), 'sniffer', INGEST_ONLY_KEY)}/packets`, tls());
      try {
        expect((await ingestOnly.liveness()).status).toBe(403);
      } finally {
        ingestOnly.close();
      }
    });

    it('a packet it cannot store is a 400, which moves the client to its local files for good', async () => {
      const client = new SnifferClient(`${withCredentials(base(), 'sniffer', TEST_API_KEY)}/packets`, tls());
      try {
        expect((await client.liveness()).status).toBe(200);
        const response = await client.submit({ Bogus_Layer: { x: 1 }, Info: {} });
        expect(response.status).toBe(400);
        expect(JSON.parse(response.body).error.details[0]).toMatchObject({ record: 0, field: 'Bogus_Layer' });
        expect(client.storage).toBe('local');
      } finally {
        client.close();
      }
    });
  });

  describe('the Netify agent socket output (seed 001), posted with curl', () => {
    it('takes the socket bytes as they are and files applications under the device', async () => {
      const socketBytes = readFileSync('events/netify/agent.ndjson');
      const response = await curlCall('POST', `${base()}/netify`, {
        user: `netify:${TEST_API_KEY}`,
        headers: [['Content-Type', 'application/x-ndjson']],
        body: socketBytes,
        tls: tls(),
      });
      expect(response.status).toBe(202); // curl --fail: anything below 400
      expect(JSON.parse(response.body)).toEqual({ accepted: 6, skipped: 4 });
      const device = await eventually(async () => {
        const view = await read('/devices/3C-91-80-2B-68-23');
        return view.status === 200 && view.body.applications.length > 0 ? view.body : undefined;
      });
      expect(device.mac_address).toBe('3c:91:80:2b:68:23');
      expect(device.applications[0]).toMatchObject({ app_name: expect.any(String), bytes_ttl: expect.any(Number) });
    });
  });

  describe('the flow-log client (seed 003): curl, then GET /flows?hour=N', () => {
    it('posts a JSON array and reads the hourly sums back', async () => {
      // `curl -d @file` drops the file's newlines.
      const body = readFileSync('events/flows/seed-example.json', 'utf8').replace(/[\r\n]/g, '');
      const response = await curlCall('POST', `${base()}/flows`, { user: `flows:${TEST_API_KEY}`, headers: [['Content-Type', 'application/json']], body, tls: tls() });
      expect(response.status).toBe(202);
      expect(JSON.parse(response.body)).toEqual({ accepted: 5 });
      const runs = scheme === 'http' ? 1 : 2;
      const hour1 = await eventually(async () => {
        const rows = (await read('/flows?hour=1')).body as { src_app: string; bytes_tx: number }[];
        return rows.find((r) => r.src_app === 'foo')?.bytes_tx === 300 * runs ? rows : undefined;
      });
      expect(hour1).toEqual(
        expect.arrayContaining([
          { src_app: 'foo', dest_app: 'bar', vpc_id: 'vpc-0', bytes_tx: 300 * runs, bytes_rx: 900 * runs, hour: 1 },
          { src_app: 'baz', dest_app: 'qux', vpc_id: 'vpc-0', bytes_tx: 100 * runs, bytes_rx: 500 * runs, hour: 1 },
        ]),
      );
      const missing = await curlCall('GET', `${base()}/flows`, { user: `flows:${TEST_API_KEY}`, tls: tls() });
      expect(missing.status).toBe(400);
    });
  });

  describe("the dashboard network server's device list (seed 004), posted with python-requests", () => {
    const devices = [
      { device_type: 'Router', id: 1, ip_address: '172.16.101.1', operating_system: 'Cisco IOS', host_name: 'RT1', mac_address: '00:1B:44:11:3A:B7', download_speed: 12, upload_speed: 9, active_connection: true },
      { device_type: 'Switch', id: 2, ip_address: '172.16.101.2', operating_system: 'Cisco IOS', host_name: 'SW1', mac_address: '00:1B:44:11:5R:B8', download_speed: 38, upload_speed: 12, active_connection: true },
    ];

    it('is all-or-nothing by default: the malformed MAC takes the request down', async () => {
      const response = await requestsCall('POST', `${withCredentials(base(), 'network', TEST_API_KEY)}/devices`, { json: devices, tls: tls() });
      expect(response.status).toBe(400);
      expect(response.headers['preference-applied']).toBeUndefined();
      expect(JSON.parse(response.body).error.details).toEqual([{ record: 1, field: 'mac_address', message: expect.stringContaining('5R') }]);
    });

    it('with Prefer: handling=lenient the valid devices are queued and the bad one listed', async () => {
      const response = await requestsCall('POST', `${withCredentials(base(), 'network', TEST_API_KEY)}/devices`, {
        json: devices,
        headers: [['Prefer', 'handling=lenient']],
        tls: tls(),
      });
      expect(response.status).toBe(202);
      expect(response.headers['preference-applied']).toBe('handling=lenient');
      expect(JSON.parse(response.body)).toEqual({ accepted: 1, rejected: [{ record: 1, field: 'mac_address', message: expect.stringContaining('00:1B:44:11:5R:B8') }] });
      const rt1 = await eventually(async () => {
        const view = await read('/devices/00:1b:44:11:3a:b7');
        return view.status === 200 && view.body.host_name === 'RT1' ? view.body : undefined;
      });
      expect(rt1).toMatchObject({ mac_address: '00:1b:44:11:3a:b7', ip_address: '172.16.101.1', device_type: 'Router', operating_system: 'Cisco IOS' });
    });
  });
});

describe('the seed-002 https-notif publisher (python-requests, https only, verify=False)', () => {
  /** The publisher's run: discovery, then notifications until four are not answered 204. */
  async function publisherRun(baseUrl: string, notifications: number) {
    const noVerify: WireRequest['tls'] = { rejectUnauthorized: false };
    const capabilities = await requestsCall('GET', `${baseUrl}/capabilities`, {
      headers: [['Accept', 'application/json, application/xml, application/cbor']],
      tls: noVerify,
    });
    expect(capabilities.status).toBe(200); // raise_for_status()
    // It looks for these substrings in the Content-Type and parses the body accordingly.
    const contentType = String(capabilities.headers['content-type']);
    let caps: string[] = [];
    if (contentType.includes('application/json')) caps = JSON.parse(capabilities.body)['receiver-capabilities']['receiver-capability'];
    else if (contentType.includes('application/xml')) caps = [...capabilities.body.matchAll(/<receiver-capability>([^<]*)<\/receiver-capability>/g)].map((m) => m[1] as string);
    expect(caps.length, `capabilities answered as ${contentType}`).toBeGreaterThan(0);
    const encodings = caps.filter((c) => c.includes('encoding')).map((c) => c.split(':').at(-1));
    const encoding = ['cbor', 'json', 'xml'].find((e) => encodings.includes(e));
    expect(encoding).toBe('json');
    const seed = JSON.parse(readFileSync('events/notifications/seed-interfaces.json', 'utf8'));
    const statuses: number[] = [];
    for (let i = 0; i < notifications; i++) {
      const payload = {
        'ietf-https-notif:notification': {
          eventTime: `${new Date(Date.now() + i).toISOString().replace(/Z$/, '')}123Z`,
          interface_data: { interface: seed['ietf-https-notif:notification'].interface_data.interface },
        },
      };
      const response = await requestsCall('POST', `${baseUrl}/relay-notification`, {
        body: pythonJsonDumps(payload),
        headers: [['Content-Type', 'application/json']],
        tls: noVerify,
      });
      statuses.push(response.status);
    }
    return statuses;
  }

  it('discovers JSON from the Content-Type and gets 204 for every notification, with Basic from user:key@host', async () => {
    const before = (await read('/notifications?limit=100')).body.items.length as number;
    expect(await publisherRun(withCredentials(runtime.httpsUrl as string, 'publisher', TEST_API_KEY), 3)).toEqual([204, 204, 204]);
    await eventually(async () => ((await read('/notifications?limit=100')).body.items.length === before + 3 ? true : undefined));
  });

  it('without a credential every notification is refused (401), so it gives up after its retries', async () => {
    expect(await publisherRun(runtime.httpsUrl as string, 4)).toEqual([401, 401, 401, 401]);
  });
});

describe('Prefer: handling=lenient on every bulk route (old data imports)', () => {
  const post = (path: string, body: string, contentType: string, prefer?: string) =>
    curlCall('POST', `${runtime.url}${path}`, {
      user: `import:${TEST_API_KEY}`,
      headers: [['Content-Type', contentType], ...(prefer === undefined ? [] : ([['Prefer', prefer]] as [string, string][]))],
      body,
    });
  const flow = { src_app: 'lenient-a', dest_app: 'lenient-b', vpc_id: 'vpc-9', bytes_tx: 5, bytes_rx: 7, hour: 99 };
  const vpc = (bytes: string) => `2 123 eni-1 10.9.0.1 10.9.0.2 1 2 6 1 ${bytes} 360000 360060 ACCEPT OK`;
  const udp = readFileSync('events/packets/udp-ipv4.json', 'utf8');

  it.each([
    ['/packets', 'application/json', `[${udp}, {"UDP": {"Source_Port": "x"}}]`, { accepted: 1, rejected: [{ record: 1, field: 'UDP.Source_Port', message: expect.any(String) }] }],
    ['/flows', 'application/json', JSON.stringify([flow, { ...flow, hour: -1 }]), { accepted: 1, rejected: [{ record: 1, field: 'hour', message: expect.any(String) }] }],
    ['/flowlogs', 'text/plain', `${vpc('10')}\n${vpc('ten')}\n`, { accepted: 1, skipped: 0, rejected: [{ record: 1, line: 2, field: 'bytes', message: expect.any(String) }] }],
    ['/netify', 'application/x-ndjson', '{"length": 9}\n{"type":"flow","flow":{"digest":"d1","local_mac":"00:1b:44:11:3a:b7"}}\n{"type":"flow","flow":{"digest":"d2","local_mac":"nope"}}\n', { accepted: 1, skipped: 1, rejected: [{ record: 2, line: 3, field: 'flow.local_mac', message: expect.any(String) }] }],
  ])('%s (%s): the valid records are queued, the others listed, Preference-Applied says so', async (path, type, body, expected) => {
    const strict = await post(path, body, type);
    expect(strict.status).toBe(400);
    expect(strict.headers['preference-applied']).toBeUndefined();
    const lenient = await post(path, body, type, 'handling=lenient');
    expect(lenient.status).toBe(202);
    expect(lenient.headers['preference-applied']).toBe('handling=lenient');
    expect(JSON.parse(lenient.body)).toEqual(expected);
  });

  it('answers 202 with nothing accepted when every record is rejected, and keeps 400 for a body that is no list', async () => {
    const none = await post('/flows', JSON.stringify([{ ...flow, bytes_tx: -1 }]), 'application/json', 'handling=lenient');
    expect(none.status).toBe(202);
    expect(JSON.parse(none.body)).toEqual({ accepted: 0, rejected: [{ record: 0, field: 'bytes_tx', message: expect.any(String) }] });
    expect((await post('/flows', '{"not": "a list"}', 'application/json', 'handling=lenient')).status).toBe(400);
    expect((await post('/devices', '[]', 'application/json', 'handling=lenient')).status).toBe(400);
  });

  it('stores what it accepted and nothing of what it rejected', async () => {
    const rows = await eventually(async () => {
      const hour = (await read('/flows?hour=99')).body as { src_app: string; bytes_tx: number }[];
      return hour.length > 0 ? hour : undefined;
    });
    expect(rows).toEqual([{ ...flow }]);
    // The VPC lines came in another request: their message may land a moment later.
    const vpcRows = await eventually(async () => {
      const hour = (await read('/flows?hour=100')).body as unknown[];
      return hour.length > 0 ? hour : undefined;
    });
    expect(vpcRows).toEqual([{ src_app: '10.9.0.1', dest_app: '10.9.0.2', vpc_id: 'eni-1', bytes_tx: 10, bytes_rx: 0, hour: 100 }]);
  });
});
