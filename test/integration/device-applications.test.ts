import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { packRecords } from '../../functions/shared/queue-envelope.ts';
import { putAll } from '../../functions/shared/batch-writer.ts';
import { devicesConfig } from '../../functions/devices/config.ts';
import { readDevice, readDevices } from '../../functions/devices/read-store.ts';
import { countLegacyApplications } from '../../functions/devices/legacy-applications.ts';
import { applicationKey } from '../../functions/devices/storage.ts';
import { buildDeviceView, type DeviceView } from '../../functions/devices/view.ts';
import { startTestRuntime } from '../helpers/runtime.ts';
import { direct } from '../helpers/sqs-events.ts';
import { itemsRead, storeInTurn } from '../helpers/queue-delivery.ts';

// A Netify agent reports every flow of a device, thousands a day for a busy host: the devices
// writer counts each application item once as it creates it, and a view reads the newest it
// shows through the applications index, not every flow the device ever had.

let runtime: LocalRuntime;
let writer: (event: SQSEvent) => Promise<SQSBatchResponse>;

beforeAll(async () => {
  runtime = await startTestRuntime({ sqsEventSources: false });
  writer = direct((await import('../../functions/devices/writer.ts')).handler);
});
afterAll(async () => runtime?.stop());

const T0 = Date.UTC(2026, 5, 1, 10, 0, 0);
const digest = (mac: string, i: number) => `${mac.replace(/:/g, '')}${i.toString(16).padStart(28, '0')}`;
const flow = (mac: string, i: number, at = T0 + i * 1000) => ({
  type: 'flow',
  interface: 'eth0',
  internal: true,
  flow: { digest: digest(mac, i), local_mac: mac, local_ip: '10.0.4.2', detected_application_name: `netify.app${i}`, last_seen_at: at },
});
const bodies = (flows: object[]) => packRecords('netify', flows).map((m) => m.body);

const store = (...messages: string[]) => storeInTurn(writer, messages);

async function view(mac: string, applications: number): Promise<DeviceView> {
  const limits = { applications, interfaces: 0, interfaceBytes: 0 };
  const device = await readDevice(mac, { ...limits, snapshots: 0 });
  if (device === undefined) throw new Error(`no device ${mac}`);
  return buildDeviceView(mac, device.items, [], device.flowStats, limits);
}

describe('a device\'s applications against DynamoDB Local', () => {
  it('counts each application once, however often and however concurrently its flows are stored', async () => {
    const mac = '02:1e:00:00:00:01';
    const [first] = bodies(Array.from({ length: 30 }, (_, i) => flow(mac, i)));
    const [second] = bodies(Array.from({ length: 30 }, (_, i) => flow(mac, i + 20)));
    // The first message redelivered while the second, which names ten of its flows too, is stored beside it.
    await Promise.all([store(first as string), store(second as string), store(first as string)]);
    await store(first as string);
    const shown = await view(mac, 5);
    expect(shown.applications_total).toBe(50);
    expect(shown.applications.map((a) => a.app_name)).toEqual([49, 48, 47, 46, 45].map((i) => `netify.app${i}`));
  });

  it('reads the newest applications a view shows, not every one of the device\'s, and decides ties by digest', async () => {
    const mac = '02:1e:00:00:00:02';
    // 150 flows one second apart, the newest 20 of them seen at the same moment.
    const latest = T0 + 2_000_000;
    await store(...bodies(Array.from({ length: 150 }, (_, i) => flow(mac, i, i >= 130 ? latest : T0 + i * 1000))));
    let shown: DeviceView | undefined;
    const read = await itemsRead(async () => (shown = await view(mac, 25)));
    expect(shown?.applications_total).toBe(150);
    // The 20 seen last, by digest, then the 5 before them, newest first.
    const expected = [...Array.from({ length: 20 }, (_, i) => digest(mac, 130 + i)), ...[129, 128, 127, 126, 125].map((i) => digest(mac, i))];
    expect(shown?.applications.map((a) => a.digest)).toEqual(expected);
    // The 25 shown, the 20 of the tie, the profile and the count shards: not 150.
    expect(read).toBeLessThan(80);
  });

  it('reads devices together, two of which report the same flow, each with its sums', async () => {
    const [a, b, unknown] = ['02:1e:00:00:00:04', '02:1e:00:00:00:05', '02:1e:00:00:00:06'];
    const shared = digest(a, 1);
    const seenBy = (mac: string) => ({ ...flow(a, 1), flow: { ...flow(a, 1).flow, local_mac: mac } });
    const stats = { type: 'flow_stats', interface: 'eth0', internal: true, flow: { digest: shared, local_bytes: 100, other_bytes: 2_000, local_packets: 3, other_packets: 4, last_seen_at: T0 + 5_000 } };
    await store(...bodies([seenBy(a), seenBy(b), flow(b, 2), stats]));
    const limits = { applications: 10, interfaces: 0, interfaceBytes: 0 };
    const devices = await readDevices([b, unknown, a], { ...limits, snapshots: 0 });
    expect(devices[1]).toBeUndefined();
    const [viewB, viewA] = [b, a].map((mac) => {
      const device = devices[mac === b ? 0 : 2];
      if (device === undefined) throw new Error(`no device ${mac}`);
      return buildDeviceView(mac, device.items, [], device.flowStats, limits);
    });
    expect(viewA?.applications.map((app) => [app.digest, app.bytes_up, app.bytes_dn])).toEqual([[shared, 100, 2_000]]);
    expect(viewB?.applications.map((app) => [app.digest, app.bytes_up, app.bytes_dn]).sort()).toEqual([[shared, 100, 2_000], [digest(b, 2), 0, 0]].sort());
    // Read together as each is read alone.
    expect(viewA).toEqual(await view(a, 10));
    expect(viewB).toEqual(await view(b, 10));
  });

  it('counts and indexes, once, the applications stored before they were counted', async () => {
    const mac = '02:1e:00:00:00:03';
    const table = devicesConfig().devicesTable;
    // As an older writer left them: no index attribute, not counted.
    await putAll(table, Array.from({ length: 12 }, (_, i) => ({ ...applicationKey(mac, digest(mac, i)), digest: digest(mac, i), app_name: `netify.old${i}`, last_seen: new Date(T0 + i * 1000).toISOString() })));
    // One of them updated since by this writer: indexed, still not counted. One new flow: counted as it is created.
    await store(...bodies([flow(mac, 3, T0 + 100_000), flow(mac, 12, T0 + 200_000)]));
    expect((await view(mac, 100)).applications_total).toBe(1);
    expect((await view(mac, 100)).applications.map((a) => a.digest)).toEqual([digest(mac, 12), digest(mac, 3)]);

    expect(await countLegacyApplications(table)).toBeGreaterThanOrEqual(12);
    const migrated = await view(mac, 100);
    expect(migrated.applications_total).toBe(13);
    expect(migrated.applications.map((a) => a.digest)).toEqual([12, 3, 11, 10, 9, 8, 7, 6, 5, 4, 2, 1, 0].map((i) => digest(mac, i)));
    expect(await countLegacyApplications(table)).toBe(0);
    expect((await view(mac, 100)).applications_total).toBe(13);
  });
});
