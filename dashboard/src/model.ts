/** One device as the dashboard shows it, whichever channel it came from. Speeds in Mbps. */
export interface Point {
  /** Unix seconds. */
  t: number;
  up: number;
  down: number;
}

export interface Device {
  mac: string;
  name: string | null;
  type: string | null;
  os: string | null;
  ip: string | null;
  /** A device of the simulated network (the server marks them). */
  simulated: boolean;
  connected: boolean;
  up: number;
  down: number;
  series: Point[];
}

/** GET /devices: a device view (speeds in bits/s, times RFC 3339). Only what is read here. */
export interface HttpDeviceView {
  mac_address: string;
  ip_address: string | null;
  host_name: string | null;
  device_type: string | null;
  operating_system: string | null;
  simulated?: boolean;
  first_seen: string | null;
  last_seen: string | null;
  snap_shots: { time_stamp: string; upload_speed: number; download_speed: number; active_connection: boolean }[];
}

/** The live socket's device (seed 004's shape: Mbps, `YYYY-MM-DD HH:MM:SS.ffffff` UTC). */
export interface LiveDevice {
  id: number;
  host_name: string | null;
  device_type: string | null;
  operating_system: string | null;
  simulated?: boolean;
  mac_address: string;
  ip_address: string | null;
  snap_shots: { id: number; time_stamp: string; upload_speed: number; download_speed: number; active_connection: boolean }[];
}

/** As the server decides it for a device without snapshots (functions/live/message.ts). */
const RECENTLY_SEEN_MS = 5 * 60_000;

/** Both channels show whole Mbps, so values do not jump when the socket takes over. */
const mbps = (bitsPerSecond: number): number => Math.round(bitsPerSecond / 1_000_000);

function seconds(time: string): number {
  // The seed's form has a space and microseconds, in UTC; Date wants the ISO form.
  const seed = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,3})\d*)?$/.exec(time);
  const ms = seed === null ? Date.parse(time) : Date.parse(`${seed[1]}T${seed[2]}.${(seed[3] ?? '0').padEnd(3, '0')}Z`);
  return ms / 1000;
}

function finish(base: Omit<Device, 'connected' | 'up' | 'down'>, connected: boolean): Device {
  const last = base.series.at(-1);
  return { ...base, connected, up: connected ? (last?.up ?? 0) : 0, down: connected ? (last?.down ?? 0) : 0 };
}

export function fromView(view: HttpDeviceView, now = Date.now()): Device {
  const series = view.snap_shots
    .map((s) => ({ t: seconds(s.time_stamp), up: mbps(s.upload_speed), down: mbps(s.download_speed) }))
    .filter((p) => Number.isFinite(p.t));
  const lastSnapshot = view.snap_shots.at(-1);
  const seen = Date.parse(view.last_seen ?? view.first_seen ?? '');
  const connected = lastSnapshot !== undefined ? lastSnapshot.active_connection : Number.isFinite(seen) && now - seen <= RECENTLY_SEEN_MS;
  return finish({ mac: view.mac_address, name: view.host_name, type: view.device_type, os: view.operating_system, ip: view.ip_address, simulated: view.simulated === true, series }, connected);
}

export function fromLive(device: LiveDevice): Device {
  const series = device.snap_shots
    .map((s) => ({ t: seconds(s.time_stamp), up: s.upload_speed, down: s.download_speed }))
    .filter((p) => Number.isFinite(p.t));
  return finish(
    { mac: device.mac_address, name: device.host_name, type: device.device_type, os: device.operating_system, ip: device.ip_address, simulated: device.simulated === true, series },
    device.snap_shots.at(-1)?.active_connection === true,
  );
}

export interface Summary {
  total: number;
  connected: number;
  up: number;
  down: number;
}

export function summarize(devices: readonly Device[]): Summary {
  let connected = 0;
  let up = 0;
  let down = 0;
  for (const d of devices) {
    if (!d.connected) continue;
    connected++;
    up += d.up;
    down += d.down;
  }
  return { total: devices.length, connected, up, down };
}

export const label = (d: Device): string => d.name ?? d.mac;
