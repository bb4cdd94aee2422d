import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, gap, openTarget, until, type Target } from './target.ts';
import { nextPage } from '../../dashboard/src/next-page.ts';

// The simulator's EventBridge schedule (rate(1 minute)) fires the simulator Lambda, which sends
// a simulated network's traffic through the same queues: its devices appear in the device
// views and their snapshot series grow. Its own file, so that its minutes of waiting on a
// deployment run beside the rest of the suite.
let target: Target;

beforeAll(async () => {
  if (gap('schedule')) return;
  target = await openTarget({ schedules: true });
}, 180_000);
afterAll(async () => target?.close());

interface DeviceView {
  mac_address: string;
  host_name: string | null;
  last_seen: string | null;
  snap_shots: { time_stamp: string }[];
}

/** The simulated devices (locally administered MACs 02:5e:...), whatever else the stage holds. */
async function simulated(): Promise<DeviceView[]> {
  const devices: DeviceView[] = [];
  let path: string | undefined = '/devices?limit=200&snapshots=5&applications=0&interfaces=0';
  while (path !== undefined) {
    const answer = await call(target, 'GET', path);
    if (answer.status !== 200) throw new Error(`GET ${path}: ${answer.status}`);
    devices.push(...(answer.body as DeviceView[]));
    path = nextPage(answer.headers.get('link'), path);
  }
  return devices.filter((d) => d.mac_address.startsWith('02:5e:'));
}

describe('the schedule', () => {
  it('fires the simulator: a dozen devices appear and their series grow', { timeout: 900_000 }, async (context) => {
    const reason = gap('schedule');
    if (reason) context.skip(reason);
    const wait = target.scheduleWaitMs;
    const first = await until(target, 'twelve simulated devices with a snapshot', async () => {
      const devices = await simulated();
      return devices.length >= 12 && devices.every((d) => d.host_name !== null && d.snap_shots.length >= 1) ? devices : undefined;
    }, wait);
    const newest = (d: DeviceView) => d.snap_shots.at(-1)?.time_stamp ?? '';
    const before = new Map(first.map((d) => [d.mac_address, newest(d)]));
    // A later tick: every device has a newer snapshot than before.
    const later = await until(target, 'a later tick', async () => {
      const devices = await simulated();
      return devices.every((d) => newest(d) > (before.get(d.mac_address) ?? '')) ? devices : undefined;
    }, wait);
    expect(later.length).toBeGreaterThanOrEqual(12);
    for (const device of later) expect(device.last_seen).not.toBeNull();
  });
});
