import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { packRecords } from '../../functions/shared/queue-envelope.ts';
import { currentDevices, type DeviceStateOptions } from '../../functions/live/device-state.ts';
import { liveDevices, type LiveDevice } from '../../functions/live/message.ts';
import { readDevice } from '../../functions/devices/read-store.ts';
import { buildDeviceView } from '../../functions/devices/view.ts';
import { connectionsTable } from '../../functions/live/config.ts';
import { NOTE_EVERY_MS, RECENT_BUCKET_MS, RECENT_HORIZON_MS, noteRecentDevices, recentDevices } from '../../functions/live/recent-devices.ts';
import { startTestRuntime } from '../helpers/runtime.ts';
import { direct, sqsEvent, sqsRecord } from '../helpers/sqs-events.ts';
import { itemsRead, withSlowStore } from '../helpers/queue-delivery.ts';

// The live broadcaster's read of the devices, on a table of its own: with more devices than a
// push reads, it reads those that changed last; with many devices it stops when its time
// runs short and pushes what it read, rather than timing out with none.

let runtime: LocalRuntime;
const macs = Array.from({ length: 40 }, (_, i) => `02:1a:00:00:00:${i.toString(16).padStart(2, '0')}`);

beforeAll(async () => {
  runtime = await startTestRuntime({ sqsEventSources: false });
  const writer = direct((await import('../../functions/devices/writer.ts')).handler);
  const records = macs.map((mac) => ({ mac_address: mac, host_name: `host-${mac}`, device_type: 'PC', operating_system: 'Linux', ip_address: '10.0.2.1' }));
  const body = (packRecords('inventory', records)[0] as { body: string }).body;
  expect((await writer(sqsEvent([sqsRecord(body)]))).batchItemFailures).toEqual([]);
});
afterAll(async () => runtime?.stop());

/** Every device fits, and nothing changed lately. */
const ALL: DeviceStateOptions = { maxDevices: 500, recent: async () => [] };

describe('the live message devices against DynamoDB Local', () => {
  it('reads every device when there is time', async () => {
    const { devices, capped, shortOfTime } = await currentDevices(1, ALL);
    expect([capped, shortOfTime]).toEqual([false, false]);
    expect(devices.map((d) => d.mac_address)).toEqual(macs);
  });

  it('stops when the time left would not cover another group of reads, with the devices read so far', async () => {
    // 3 s kept back for the push, and 300 ms more; every request held 40 ms, so a group of 8
    // devices (a few requests each, some in turn) takes longer than that after the first.
    const { devices, shortOfTime } = await withSlowStore(40, () => currentDevices(1, { ...ALL, deadline: Date.now() + 3_300 }));
    expect(shortOfTime).toBe(true);
    expect(devices.length).toBeGreaterThanOrEqual(8);
    expect(devices.length).toBeLessThan(macs.length);
    // The first devices in MAC order, each whole.
    expect(devices.map((d) => d.mac_address)).toEqual(macs.slice(0, devices.length));
    expect(devices.every((d) => d.host_name === `host-${d.mac_address}` && d.snap_shots.length === 1)).toBe(true);
  });

  it('with more devices than a push reads, reads those that changed last, then the first others in MAC order', async () => {
    const table = connectionsTable();
    const now = Date.now();
    // Noted in turn, a minute apart and longest ago first: the last three MACs, then the fifth.
    const noted = [macs[37], macs[38], macs[39], macs[4]] as string[];
    for (const [i, mac] of noted.entries()) await noteRecentDevices(table, [mac], now - (noted.length - i) * NOTE_EVERY_MS);
    expect(await recentDevices(table, 3, now)).toEqual([macs[4], macs[39], macs[38]]);
    const { devices, capped, shortOfTime } = await currentDevices(1, { maxDevices: 10, recent: (limit) => recentDevices(table, limit, now) });
    expect([capped, shortOfTime]).toEqual([true, false]);
    // The four noted, then the first six others; in MAC order, each whole.
    expect(devices.map((d) => d.mac_address)).toEqual([...macs.slice(0, 4), ...macs.slice(5, 7), macs[4], macs[37], macs[38], macs[39]].sort());
    expect(devices.every((d) => d.host_name === `host-${d.mac_address}` && d.snap_shots.length === 1)).toBe(true);
    // Short of time, the reads that are made are of those that changed last.
    const short = await withSlowStore(40, () => currentDevices(1, { maxDevices: 10, recent: (limit) => recentDevices(table, limit, now), deadline: Date.now() + 3_300 }));
    expect(short.shortOfTime).toBe(true);
    expect(short.devices.map((d) => d.mac_address)).toEqual(expect.arrayContaining(noted));
  });

  it('reads a device\'s state and snapshots, not the applications of its flows, and pushes what the whole device gives', async () => {
    // A Netify agent's device: 100 flows, each an application item of the device's, all seen
    // before the inventory record that follows (an equal time would keep the address stored first).
    const mac = '02:1c:00:00:00:01';
    const flows = Array.from({ length: 100 }, (_, i) => ({
      type: 'flow',
      interface: 'eth0',
      internal: true,
      flow: { digest: i.toString(16).padStart(40, '0'), local_mac: mac, local_ip: '10.0.3.7', detected_protocol_name: 'HTTP/S', detected_application_name: `netify.app${i}`, last_seen_at: Date.now() - (i + 1) * 1000 },
    }));
    const writer = direct((await import('../../functions/devices/writer.ts')).handler);
    const bodies = [...packRecords('netify', flows), ...packRecords('inventory', [{ mac_address: mac, host_name: 'agent-host', device_type: 'PC', operating_system: 'Linux', ip_address: '10.0.3.8' }])].map((m) => m.body);
    for (const body of bodies) expect((await writer(sqsEvent([sqsRecord(body)]))).batchItemFailures).toEqual([]);

    const none = { applications: 0, interfaces: 0, interfaceBytes: 0, snapshots: 1 };
    const whole = await readDevice(mac, { ...none, applications: 100 });
    const state = await readDevice(mac, { ...none, stateOnly: true });
    if (whole === undefined || state === undefined) throw new Error(`no device ${mac}`);
    const applications = (items: { sk?: unknown }[]) => items.filter((i) => String(i.sk).startsWith('app#')).length;
    expect(applications(whole.items)).toBe(100);
    expect(buildDeviceView(mac, whole.items, [], whole.flowStats, { ...none, applications: 100 }).applications_total).toBe(100);
    expect(applications(state.items)).toBe(0);

    // What a push reads: the items of every query, of this device and the table's 40 others.
    let devices: LiveDevice[] = [];
    const read = await itemsRead(async () => ({ devices } = await currentDevices(1, ALL, 1_800_000_000_000)));
    // A profile and a snapshot each (82 when this was written): the flows would be 100 more.
    expect(read).toBeGreaterThan(41);
    expect(read).toBeLessThan(150);
    const [expected] = liveDevices([buildDeviceView(mac, whole.items, whole.snapshotsNewestFirst, whole.flowStats, none)], 1_800_000_000_000);
    expect(devices.find((d) => d.mac_address === mac)).toEqual({ ...expected, id: expect.any(Number), snap_shots: [{ ...expected?.snap_shots[0], id: expect.any(Number) }] });
    expect(expected).toMatchObject({ host_name: 'agent-host', ip_address: '10.0.3.8' });
  });

  it('notes a busy device once a minute, and forgets devices past the horizon', async () => {
    const table = connectionsTable();
    const mac = '02:1b:00:00:00:01';
    const at = Date.now() + 10 * RECENT_HORIZON_MS;
    const start = at - (at % RECENT_BUCKET_MS);
    expect(await noteRecentDevices(table, [mac], start)).toBe(1);
    expect(await noteRecentDevices(table, [mac], start + NOTE_EVERY_MS - 1)).toBe(0);
    expect(await noteRecentDevices(table, [mac], start + NOTE_EVERY_MS)).toBe(1);
    expect(await recentDevices(table, 5, start + NOTE_EVERY_MS)).toEqual([mac]);
    expect(await recentDevices(table, 5, start + NOTE_EVERY_MS + RECENT_HORIZON_MS)).toEqual([mac]);
    expect(await recentDevices(table, 5, start + NOTE_EVERY_MS + RECENT_HORIZON_MS + 1)).toEqual([]);
  });
});
