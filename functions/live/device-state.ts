import { deviceMacs, readDevices } from '../devices/read-store.ts';
import { buildDeviceView, type DeviceView, type ViewLimits } from '../devices/view.ts';
import { liveDevices, type LiveDevice } from './message.ts';
import { groupClock } from '../shared/deadline.ts';

/** The live message needs a device's profile and snapshots, nothing of its applications or interfaces. */
const LIMITS: ViewLimits = { applications: 0, interfaces: 0, interfaceBytes: 0 };
const PAGE = 200;
const PARALLEL_READS = 8;

/** Time kept back from the reads for building the message and posting it. */
const PUSH_RESERVE_MS = 3_000;

export interface DeviceStateOptions {
  /** Devices read at most: more than a message holds, so that it keeps the ones seen last. */
  maxDevices: number;
  /** Up to `limit` devices that changed lately, the last first (recent-devices.ts). */
  recent: (limit: number) => Promise<string[]>;
  /** When the invocation's time runs out. */
  deadline?: number;
}

export interface DeviceState {
  devices: LiveDevice[];
  /** There were more than maxDevices: those that changed last were chosen, then the first others in MAC order. */
  capped: boolean;
  /** The reads stopped before every device chosen was read: the time ran short. */
  shortOfTime: boolean;
}

/**
 * The known devices, in MAC order, with their last `snapshots` snapshots: the device read
 * model's own reads. Every device while there are at most maxDevices; past that, the ones
 * that changed last, then the first others in MAC order up to maxDevices, so that a push
 * costs the same with ten thousand devices as with five hundred. The reads stop early, with
 * the devices read so far, when the time left before the deadline (less PUSH_RESERVE_MS)
 * would not cover another group of reads, judged by the slowest group so far: a push of
 * most devices beats a broadcaster that times out and pushes none.
 */
export async function currentDevices(snapshots: number, options: DeviceStateOptions, now = Date.now()): Promise<DeviceState> {
  const known = await firstKnown(options.maxDevices + 1);
  const capped = known.length > options.maxDevices;
  const macs = capped ? [...new Set([...(await options.recent(options.maxDevices)), ...known])].slice(0, options.maxDevices) : known;
  const views: DeviceView[] = [];
  const clock = groupClock((options.deadline ?? Number.POSITIVE_INFINITY) - PUSH_RESERVE_MS);
  let shortOfTime = false;
  for (let start = 0; start < macs.length; start += PARALLEL_READS) {
    if (views.length > 0 && !clock.anotherFits()) {
      shortOfTime = true;
      break;
    }
    const chunk = macs.slice(start, start + PARALLEL_READS);
    const read = await clock.time(() => readDevices(chunk, { ...LIMITS, snapshots, stateOnly: true }));
    for (const [i, device] of read.entries()) {
      if (device !== undefined) views.push(buildDeviceView(chunk[i] as string, device.items, device.snapshotsNewestFirst, device.flowStats, LIMITS));
    }
  }
  views.sort((a, b) => (a.mac_address < b.mac_address ? -1 : a.mac_address > b.mac_address ? 1 : 0));
  return { devices: liveDevices(views, now), capped, shortOfTime };
}

/** The first `limit` known MACs in order, from the device index. */
async function firstKnown(limit: number): Promise<string[]> {
  const macs: string[] = [];
  let after: string | undefined;
  while (macs.length < limit) {
    const page = await deviceMacs(Math.min(PAGE, limit - macs.length), after);
    macs.push(...page.items);
    if (!page.more || page.items.length === 0) break;
    after = page.items.at(-1);
  }
  return macs;
}
