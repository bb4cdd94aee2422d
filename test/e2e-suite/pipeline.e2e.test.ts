import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, openTarget, until, type Target } from './target.ts';

// Every capability over HTTP, against whichever target E2E_TARGET names (embedded by default).
let target: Target;

beforeAll(async () => {
  target = await openTarget();
}, 180_000);
afterAll(async () => target?.close());

const timeout = { timeout: 300_000 };

describe('end to end', () => {
  it('health answers without a key; everything else wants one', async () => {
    expect((await fetch(`${target.url}/health`)).status).toBe(200);
    expect((await fetch(`${target.url}/packets/tables/all`)).status).toBe(401);
  });

  it('packets: posted, counted and viewable', timeout, async () => {
    const before = (await call(target, 'GET', '/packets/tables/all')).body as Record<string, number>;
    const packet = JSON.parse(readFileSync('events/packets/udp-ipv4.json', 'utf8'));
    expect((await call(target, 'POST', '/packets', JSON.stringify([packet, packet, packet]))).status).toBe(202);
    await until(target, 'three more UDP packets', async () => {
      const now = (await call(target, 'GET', '/packets/tables/UDP')).body;
      return now.UDP === (before.UDP ?? 0) + 3 ? true : undefined;
    });
    const view = await call(target, 'GET', '/packets/tables/view?ProtocolName=UDP&Limit=2');
    expect(view.body.view).toHaveLength(2);
  });

  it('flow logs: summed by hour', timeout, async () => {
    const hour = 400_000 + Math.floor(Math.random() * 100_000);
    const rows = [
      { src_app: `e2e-${target.runId}`, dest_app: 'db', vpc_id: 'vpc-e2e', bytes_tx: 10, bytes_rx: 20, hour },
      { src_app: `e2e-${target.runId}`, dest_app: 'db', vpc_id: 'vpc-e2e', bytes_tx: 5, bytes_rx: 1, hour },
    ];
    expect((await call(target, 'POST', '/flows', JSON.stringify(rows))).status).toBe(202);
    const summed = await until(target, 'the hour summed', async () => {
      const { body } = await call(target, 'GET', `/flows?hour=${hour}`);
      return body.length === 1 && body[0].bytes_tx === 15 ? body : undefined;
    });
    expect(summed[0]).toEqual({ src_app: `e2e-${target.runId}`, dest_app: 'db', vpc_id: 'vpc-e2e', bytes_tx: 15, bytes_rx: 21, hour });
  });

  it('notifications: capabilities, 204, stored', timeout, async () => {
    expect((await fetch(`${target.url}/capabilities`, { headers: { accept: 'application/json' } })).headers.get('content-type')).toContain('json');
    const eventTime = new Date().toISOString();
    const body = readFileSync('events/notifications/rfc8343.json', 'utf8').replace('2025-03-17T22:34:58.812159Z', eventTime);
    const answer = await call(target, 'POST', '/relay-notification', body, 'application/yang-data+json');
    expect(answer.status).toBe(204);
    await until(target, 'the notification listed', async () => {
      const { body: list } = await call(target, 'GET', '/notifications?limit=20');
      return list.items.some((n: { eventTime: string }) => n.eventTime === eventTime) ? true : undefined;
    });
  });

  it('devices: inventory and Netify merged into one view', timeout, async () => {
    const octet = () => Math.floor(Math.random() * 256).toString(16).padStart(2, '0');
    const mac = `02:e2:${octet()}:${octet()}:${octet()}:${octet()}`;
    const inventory = [{ host_name: `e2e-${target.runId}`, device_type: 'Laptop', operating_system: 'Linux', mac_address: mac.toUpperCase(), ip_address: '10.9.8.7' }];
    expect((await call(target, 'POST', '/devices', JSON.stringify(inventory))).status).toBe(202);
    const netify = [
      JSON.stringify({ type: 'flow', flow: { digest: `d${target.runId}`, local_mac: mac, local_ip: '10.9.8.7', detected_application_name: 'netify.e2e' } }),
      JSON.stringify({ type: 'flow_stats', flow: { digest: `d${target.runId}`, local_bytes: 100, other_bytes: 200, local_packets: 1, other_packets: 2 } }),
    ].join('\n');
    expect((await call(target, 'POST', '/netify', netify, 'application/x-ndjson')).body).toEqual({ accepted: 2, skipped: 0 });
    const view = await until(target, 'the device view', async () => {
      const { status, body } = await call(target, 'GET', `/devices/${mac.replace(/:/g, '-')}`);
      return status === 200 && body.host_name !== null && body.applications[0]?.bytes_ttl === 300 ? body : undefined;
    });
    expect(view).toMatchObject({ mac_address: mac, ip_address: '10.9.8.7', applications: [{ app_name: 'netify.e2e', bytes_up: 100, bytes_dn: 200 }] });
  });
});
