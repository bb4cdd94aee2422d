import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { packRecords } from '../../functions/shared/queue-envelope.ts';
import { currentDevices } from '../../functions/live/device-state.ts';
import { startTestRuntime } from '../helpers/runtime.ts';
import { direct, sqsEvent, sqsRecord } from '../helpers/sqs-events.ts';
import { withSlowStore } from '../helpers/queue-delivery.ts';

// The live broadcaster's read of every device, on a table of its own: with many devices it
// stops when its time runs short and pushes what it read, rather than timing out with none.

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

describe('the live message devices against DynamoDB Local', () => {
  it('reads every device when there is time', async () => {
    const { devices, complete } = await currentDevices(1);
    expect(complete).toBe(true);
    expect(devices.map((d) => d.mac_address)).toEqual(macs);
  });

  it('stops when the time left would not cover another group of reads, with the devices read so far', async () => {
    // 3 s kept back for the push, and 300 ms more; every request held 40 ms, so a group of 8
    // devices (a few requests each, some in turn) takes longer than that after the first.
    const { devices, complete } = await withSlowStore(40, () => currentDevices(1, Date.now(), Date.now() + 3_300));
    expect(complete).toBe(false);
    expect(devices.length).toBeGreaterThanOrEqual(8);
    expect(devices.length).toBeLessThan(macs.length);
    // The first devices in MAC order, each whole.
    expect(devices.map((d) => d.mac_address)).toEqual(macs.slice(0, devices.length));
    expect(devices.every((d) => d.host_name === `host-${d.mac_address}` && d.snap_shots.length === 1)).toBe(true);
  });
});
