import { deviceMacs, readDevice } from '../devices/read-store.ts';
import { buildDeviceView, type DeviceView, type ViewLimits } from '../devices/view.ts';
import { liveDevices, type LiveDevice } from './message.ts';
import { groupClock } from '../shared/deadline.ts';

/** The live message needs a device's profile and snapshots, nothing of its applications or interfaces. */
const LIMITS: ViewLimits = { applications: 0, interfaces: 0, interfaceBytes: 0 };
const PAGE = 200;
const PARALLEL_READS = 8;

/** Time kept back from the reads for building the message and posting it. */
const PUSH_RESERVE_MS = 3_000;

/**
 * Every known device, in MAC order, with its last `snapshots` snapshots: the device read
 * model's own reads. They stop early, with the devices read so far, when the time left before
 * `deadline` (less PUSH_RESERVE_MS) would not cover another group of reads, judged by the
 * slowest group so far: with thousands of devices, a push of most of them beats a broadcaster
 * that times out and pushes none. `complete` says whether every device was read.
 */
export async function currentDevices(snapshots: number, now = Date.now(), deadline = Number.POSITIVE_INFINITY): Promise<{ devices: LiveDevice[]; complete: boolean }> {
  const views: DeviceView[] = [];
  let after: string | undefined;
  const clock = groupClock(deadline - PUSH_RESERVE_MS);
  for (;;) {
    const page = await deviceMacs(PAGE, after);
    for (let start = 0; start < page.items.length; start += PARALLEL_READS) {
      if (views.length > 0 && !clock.anotherFits()) return { devices: liveDevices(views, now), complete: false };
      const chunk = page.items.slice(start, start + PARALLEL_READS);
      const read = await clock.time(() => Promise.all(chunk.map(async (mac) => ({ mac, device: await readDevice(mac, { ...LIMITS, snapshots }) }))));
      for (const { mac, device } of read) {
        if (device !== undefined) views.push(buildDeviceView(mac, device.items, device.snapshotsNewestFirst, device.flowStats, LIMITS));
      }
    }
    if (!page.more || page.items.length === 0) break;
    after = page.items.at(-1);
  }
  return { devices: liveDevices(views, now), complete: true };
}
