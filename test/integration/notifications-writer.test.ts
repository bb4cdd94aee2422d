import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { packRecords, type PackedMessage } from '../../functions/shared/queue-envelope.ts';
import { readDevice } from '../../functions/devices/read-store.ts';
import { buildDeviceView } from '../../functions/devices/view.ts';
import { speedsBetween } from '../../functions/devices/interfaces.ts';
import { decodeNotification } from '../../functions/notifications/decode.ts';
import { normalizeNotification, type NormalizedNotification } from '../../functions/notifications/notification.ts';
import { startTestRuntime } from '../helpers/runtime.ts';
import { deliverShortOfTime, expectStoredInPart } from '../helpers/queue-delivery.ts';

let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime({ sqsEventSources: false });
});
afterAll(async () => runtime?.stop());

const seed = normalizeNotification(decodeNotification(readFileSync('events/notifications/seed-interfaces.json', 'utf8'), 'json'), 'json', '127.0.0.1');
const T0 = Date.UTC(2026, 6, 1, 12, 0, 0);

/** A router's notification at `second`: one interface of `mac`, its counters growing by 1,000 octets in and 500 out a second. */
function notification(mac: string, second: number): NormalizedNotification {
  type Interface = NonNullable<NormalizedNotification['interfaces']>[number];
  const iface = seed.interfaces?.[0] as Interface;
  const statistics = { ...iface.statistics, 'in-octets': String(1_000_000 + second * 1_000), 'out-octets': String(500_000 + second * 500) };
  return { ...seed, eventTime: new Date(T0 + second * 1000).toISOString(), interfaces: [{ ...iface, 'phys-address': mac, statistics }] };
}

describe('notifications writer against DynamoDB Local and the SQS emulator', () => {
  it('hands back at once, visible again, the messages its time left does not cover, and stores them on the next delivery', async () => {
    const mac = '02:0e:00:00:00:01';
    const batch: PackedMessage[] = Array.from({ length: 30 }, (_, second) => packRecords('notifications', [notification(mac, second)])[0] as PackedMessage);
    // 2 s kept back for handing messages back, and 90 ms more: at the 5 ms a unit of work is
    // taken to cost before one is measured (with the 1.2 margin), room for 15 units, the first
    // 7 messages of 2 (a message and its one interface), fewer as reading the batch takes some
    // of it. Every DynamoDB request is held 50 ms, so those take longer than the 90 ms and
    // the others do not fit.
    const handler = (await import('../../functions/notifications/writer.ts')).handler;
    const queueUrl = runtime.resources.queues.get('NotificationsQueue')?.url as string;
    const run = await deliverShortOfTime(queueUrl, batch.map((m) => m.body), handler, { remainingMs: 2_090, holdMs: 50 });
    expectStoredInPart(run, 30, 23);
    // Every reading is in: a snapshot at each but the first, from the one before it, and the
    // latest statistics are the last reading's.
    const items = await readDevice(mac, { applications: 0, interfaces: 1, interfaceBytes: 1_000_000, snapshots: 100 });
    const view = items && buildDeviceView(mac, items.items, items.snapshotsNewestFirst, items.flowStats);
    const speeds = speedsBetween(
      { eventTime: new Date(T0).toISOString(), discontinuityTime: 'd', inOctets: '0', outOctets: '0' },
      { eventTime: new Date(T0 + 1000).toISOString(), discontinuityTime: 'd', inOctets: '1000', outOctets: '500' },
    );
    expect(view?.snap_shots).toHaveLength(29);
    expect(view?.snap_shots.every((s) => s.upload_speed === speeds?.upload_speed && s.download_speed === speeds?.download_speed)).toBe(true);
    expect(view?.interfaces[0]?.statistics).toMatchObject({ 'in-octets': String(1_000_000 + 29 * 1_000) });
    expect(view?.last_seen).toBe(new Date(T0 + 29 * 1000).toISOString());
  });
});
