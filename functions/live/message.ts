import type { DeviceView } from '../devices/view.ts';

/**
 * Seed 004's message: the device array its React panel was fed over the websocket, on
 * connect and after every update. The panel reads every device's last snapshot and shows
 * speeds in Mbps, so every device carries at least one snapshot and speeds are whole Mbps
 * (the HTTP API keeps bits/s). Extra fields are allowed by the contract; none are added.
 */
export interface LiveSnapshot {
  id: number;
  /** `YYYY-MM-DD HH:MM:SS.ffffff`, UTC, as Python's str(datetime) wrote it. */
  time_stamp: string;
  upload_speed: number;
  download_speed: number;
  active_connection: boolean;
}

export interface LiveDevice {
  id: number;
  host_name: string | null;
  device_type: string | null;
  operating_system: string | null;
  /** A device of the simulated network (not in seed 004's shape; extra fields are fine). */
  simulated: boolean;
  mac_address: string;
  ip_address: string | null;
  snap_shots: LiveSnapshot[];
}

/** A device seen within this long is shown connected when it has no snapshot of its own. */
export const RECENTLY_SEEN_MS = 5 * 60_000;

/** Bits/s to whole Mbps, as the panel plots them. */
export const toMbps = (bitsPerSecond: number): number => Math.round(bitsPerSecond / 1_000_000);

/**
 * An RFC 3339 time in the seed's form. Fractions are kept to the microsecond when the time
 * is in UTC already; other offsets are converted (to the millisecond, as Date keeps).
 */
export function seedTimestamp(time: string): string {
  const utc = /^(\d{4}-\d\d-\d\d)[Tt ](\d\d:\d\d:\d\d)(?:\.(\d+))?(?:[Zz]|[+-]00:00)$/.exec(time);
  if (utc !== null) return `${utc[1]} ${utc[2]}.${(utc[3] ?? '').padEnd(6, '0').slice(0, 6)}`;
  const parsed = new Date(time);
  if (Number.isNaN(parsed.getTime())) return time;
  const iso = parsed.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}000`;
}

/** A stable integer id per device: its 48-bit MAC read as a number (exact below 2^53). */
export const deviceId = (mac: string): number => Number.parseInt(mac.replace(/[^0-9a-f]/gi, ''), 16);

/**
 * The message for these device views (each with its last snapshots, oldest first).
 * Snapshot ids number the snapshots of the message in order. A device without a snapshot
 * gets one at its last sighting: connected if that was within RECENTLY_SEEN_MS, speeds 0
 * because no two counter readings give it a speed yet.
 */
export function liveDevices(views: readonly DeviceView[], now = Date.now()): LiveDevice[] {
  let snapshotId = 0;
  return views.map((view) => {
    const snapshots: Omit<LiveSnapshot, 'id'>[] = view.snap_shots.map((s) => ({
      time_stamp: seedTimestamp(s.time_stamp),
      upload_speed: toMbps(s.upload_speed),
      download_speed: toMbps(s.download_speed),
      active_connection: s.active_connection,
    }));
    if (snapshots.length === 0) {
      const seen = view.last_seen ?? view.first_seen;
      const seenAt = seen === null ? Number.NaN : Date.parse(seen);
      snapshots.push({
        time_stamp: seedTimestamp(seen ?? new Date(now).toISOString()),
        upload_speed: 0,
        download_speed: 0,
        active_connection: Number.isFinite(seenAt) && now - seenAt <= RECENTLY_SEEN_MS,
      });
    }
    return {
      id: deviceId(view.mac_address),
      host_name: view.host_name,
      device_type: view.device_type,
      operating_system: view.operating_system,
      simulated: view.simulated,
      mac_address: view.mac_address,
      ip_address: view.ip_address,
      snap_shots: snapshots.map((s) => ({ id: ++snapshotId, ...s })),
    };
  });
}

/**
 * API Gateway refuses a WebSocket message over 128 KB. When the message would pass that,
 * each device keeps fewer of its newest snapshots (halving) until it fits or keeps one.
 * Past that (about 400 devices), the devices whose last snapshot is oldest are left out
 * until the rest fit, still in MAC order: a message API Gateway refuses would reach no one.
 */
export const MAX_MESSAGE_BYTES = 128 * 1024;

export function fitMessage(devices: readonly LiveDevice[], maxBytes = MAX_MESSAGE_BYTES): string {
  let keep = Math.max(1, ...devices.map((d) => d.snap_shots.length));
  for (;;) {
    const trimmed = devices.map((d) => ({ ...d, snap_shots: d.snap_shots.slice(-keep) }));
    const text = JSON.stringify(trimmed);
    if (Buffer.byteLength(text) <= maxBytes) return text;
    if (keep === 1) return newestThatFit(trimmed, maxBytes);
    keep = Math.max(1, Math.floor(keep / 2));
  }
}

/** The devices seen most recently whose array fits in maxBytes, in their given order. */
function newestThatFit(devices: readonly LiveDevice[], maxBytes: number): string {
  const lastSnapshot = (d: LiveDevice) => d.snap_shots.at(-1)?.time_stamp ?? '';
  const sizes = devices.map((d) => Buffer.byteLength(JSON.stringify(d)));
  const newestFirst = devices.map((_, i) => i).sort((a, b) => (lastSnapshot(devices[a] as LiveDevice) > lastSnapshot(devices[b] as LiveDevice) ? -1 : 1));
  const chosen = new Set<number>();
  // '[' and ']', and a comma between two devices.
  let bytes = 2;
  for (const i of newestFirst) {
    const added = (sizes[i] as number) + (chosen.size > 0 ? 1 : 0);
    if (bytes + added > maxBytes) break;
    chosen.add(i);
    bytes += added;
  }
  return JSON.stringify(devices.filter((_, i) => chosen.has(i)));
}
