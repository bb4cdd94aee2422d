import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { FUZZ_RUNS, drainRecordCount, hostileText, hostileValue, invalidUtf8, newTally, postAndCheck, type FuzzTally } from '../helpers/fuzz.ts';
import { getJson, startTestRuntime } from '../helpers/runtime.ts';

let runtime: LocalRuntime;
const tallies = new Map<string, FuzzTally>();
const tally = (name: string) => tallies.get(name) ?? (tallies.set(name, newTally()), tallies.get(name) as FuzzTally);

beforeAll(async () => {
  // No writers: what ingest queues stays on the queue to be counted.
  runtime = await startTestRuntime({ sqsEventSources: false });
});
afterAll(async () => {
  for (const [name, t] of tallies) {
    console.log(`fuzz ${name}: ${t.cases} cases, ${t.accepted} records accepted, rejected by status ${JSON.stringify(Object.fromEntries(t.rejected))}`);
  }
  await runtime?.stop();
});

const url = (path: string) => `${runtime.url}${path}`;
const seedJson = JSON.parse(readFileSync('events/notifications/seed-interfaces.json', 'utf8'));
const seedXml = readFileSync('events/notifications/seed-interfaces.xml', 'utf8');
const vpcLine = '2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK';
const flow = { src_app: 'a', dest_app: 'b', vpc_id: 'v', bytes_tx: 1, bytes_rx: 2, hour: 3 };
const inventory = JSON.parse(readFileSync('events/devices/inventory.json', 'utf8'))[0];

/** A valid record with one field replaced by something hostile, or a hostile field added. */
const mutated = (valid: Record<string, unknown>) =>
  fc.record({ field: fc.oneof(fc.constantFrom(...Object.keys(valid)), fc.string({ maxLength: 12 })), value: hostileValue }).map(({ field, value }) => ({ ...valid, [field]: value }));

describe('hostile input on every ingest endpoint: never a 5xx, a 4xx names the problem, nothing of it queued', () => {
  it('POST /flows, JSON', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(hostileText, fc.array(mutated(flow), { minLength: 1, maxLength: 4 }).map((a) => JSON.stringify(a))), (body) =>
        postAndCheck(url('/flows'), body, 'application/json', tally('POST /flows')),
      ),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('POST /flows, VPC Flow Logs as text', async () => {
    const line = fc.oneof(
      fc.string(),
      fc.array(fc.oneof(fc.constant('-'), fc.string({ maxLength: 20 }), fc.nat().map(String)), { minLength: 1, maxLength: 16 }).map((t) => t.join(' ')),
      fc.constant(vpcLine),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 6 }), (lines) => postAndCheck(url('/flows'), lines.join('\n'), 'text/plain', tally('POST /flows text/plain'))),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('POST /relay-notification, JSON', async () => {
    const mutatedNotification = fc.record({ leaf: fc.constantFrom('name', 'type', 'if-index', 'admin-status', 'oper-status', 'phys-address', 'statistics', 'speed', 'x'), value: hostileValue }).map(({ leaf, value }) => {
      const n = structuredClone(seedJson);
      n['ietf-https-notif:notification'].interface_data.interface[0][leaf] = value;
      return JSON.stringify(n);
    });
    await fc.assert(
      fc.asyncProperty(fc.oneof(hostileText, mutatedNotification), (body) => postAndCheck(url('/relay-notification'), body, 'application/yang-data+json', tally('POST /relay-notification json'))),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('POST /relay-notification, XML including bombs, external entities and broken markup', async () => {
    const xml = fc.oneof(
      fc.string().map((s) => `<ietf-https-notif:notification>${s}</ietf-https-notif:notification>`),
      fc.string(),
      fc.nat({ max: seedXml.length }).map((cut) => seedXml.slice(0, cut)),
      fc.constantFrom(
        '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><ietf-https-notif:notification><eventTime>&b;</eventTime></ietf-https-notif:notification>',
        '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><notification xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0"><eventTime>&e;</eventTime></notification>',
        seedXml.replace('<if-index>2</if-index>', '<if-index>0</if-index>'),
      ),
    );
    await fc.assert(
      fc.asyncProperty(xml, (body) => postAndCheck(url('/relay-notification'), body, 'application/yang-data+xml', tally('POST /relay-notification xml'))),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('POST /devices', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(hostileText, fc.array(mutated(inventory), { minLength: 1, maxLength: 3 }).map((a) => JSON.stringify(a))), (body) =>
        postAndCheck(url('/devices'), body, 'application/json', tally('POST /devices')),
      ),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('POST /netify, garbage NDJSON', async () => {
    const line = fc.oneof(
      fc.string(),
      hostileValue.map((v) => JSON.stringify(v) ?? 'null'),
      fc.record({ type: fc.constantFrom('flow', 'flow_stats', 'flow_purge', 'agent_status'), flow: hostileValue }).map((r) => JSON.stringify(r)),
      fc.constant('{"length": 42}'),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 5 }), (lines) => postAndCheck(url('/netify'), lines.join('\n'), 'application/x-ndjson', tally('POST /netify'))),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('bytes that are not UTF-8, on every endpoint', async () => {
    await fc.assert(
      fc.asyncProperty(invalidUtf8, fc.constantFrom('/flows', '/relay-notification', '/devices', '/netify'), async (bytes, path) => {
        const type = path === '/relay-notification' ? 'application/xml' : path === '/netify' ? 'application/x-ndjson' : 'application/json';
        await postAndCheck(url(path), bytes, type, tally(`${path} invalid UTF-8`));
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('queued exactly what was accepted, and keeps serving', async () => {
    const accepted = (prefix: string) => [...tallies].filter(([name]) => name.includes(prefix)).reduce((n, [, t]) => n + t.accepted, 0);
    const queue = (id: string) => runtime.resources.queues.get(id)?.url as string;
    expect(await drainRecordCount(queue('FlowsQueue'))).toBe(accepted('/flows'));
    expect(await drainRecordCount(queue('DevicesQueue'))).toBe(accepted('/devices') + accepted('/netify'));
    expect(await drainRecordCount(queue('NotificationsQueue'))).toBe(accepted('/relay-notification'));
    expect((await getJson(runtime.url, '/health')).status).toBe(200);
  });
});
