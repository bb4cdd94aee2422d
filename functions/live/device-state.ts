import { deviceMacs, readDevice } from '../devices/read-store.ts';
import { buildDeviceView, type DeviceView, type ViewLimits } from '../devices/view.ts';
import { liveDevices, type LiveDevice } from './message.ts';

/** The live message needs a device's profile and snapshots, nothing of its applications or interfaces. */
const LIMITS: ViewLimits = { applications: 0, interfaces: 0, interfaceBytes: 0 };
const PAGE = 200;
const PARALLEL_READS = 8;

/** Every known device, in MAC order, with its last `snapshots` snapshots: the device read model's own reads. */
export async function currentDevices(snapshots: number, now = Date.now()): Promise<LiveDevice[]> {
  const views: DeviceView[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await deviceMacs(PAGE, after);
    for (let start = 0; start < page.items.length; start += PARALLEL_READS) {
      const chunk = page.items.slice(start, start + PARALLEL_READS);
      const read = await Promise.all(chunk.map(async (mac) => ({ mac, device: await readDevice(mac, { ...LIMITS, snapshots }) })));
      for (const { mac, device } of read) {
        if (device !== undefined) views.push(buildDeviceView(mac, device.items, device.snapshotsNewestFirst, device.flowStats, LIMITS));
      }
    }
    if (!page.more || page.items.length === 0) break;
    after = page.items.at(-1);
  }
  return liveDevices(views, now);
}
