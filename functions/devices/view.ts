/** A device as API.md describes it, merged from every source. */
export interface DeviceView {
  mac_address: string;
  ip_address: string | null;
  host_name: string | null;
  device_type: string | null;
  operating_system: string | null;
  first_seen: string | null;
  last_seen: string | null;
  snap_shots: { time_stamp: string; upload_speed: number; download_speed: number; active_connection: boolean }[];
  applications: {
    digest: string;
    app_name: string;
    bytes_up: number;
    bytes_dn: number;
    bytes_ttl: number;
    pkts_up: number;
    pkts_dn: number;
    pkts_ttl: number;
    last_seen: string | null;
  }[];
  interfaces: Record<string, unknown>[];
  protocols: Record<string, number>;
}

type Item = Record<string, unknown>;

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const number = (value: unknown): number => (typeof value === 'number' ? value : Number(value ?? 0));

/**
 * Assembles the view from the device's items (everything but snapshots), its snapshots
 * newest first, and the statistics of its flows by digest.
 */
export function buildDeviceView(mac: string, items: readonly Item[], snapshotsNewestFirst: readonly Item[], flowStats: ReadonlyMap<string, Item>): DeviceView {
  const profile = items.find((i) => i.sk === 'profile') ?? {};
  const applications = items
    .filter((i) => String(i.sk).startsWith('app#'))
    .map((app) => {
      const digest = String(app.digest);
      const stats = flowStats.get(digest) ?? {};
      const [up, dn, pu, pd] = [number(stats.bytes_up), number(stats.bytes_dn), number(stats.pkts_up), number(stats.pkts_dn)];
      const lastSeen = [text(app.last_seen), text(stats.last_seen)].filter((t): t is string => t !== null).sort().at(-1) ?? null;
      return { digest, app_name: String(app.app_name), bytes_up: up, bytes_dn: dn, bytes_ttl: up + dn, pkts_up: pu, pkts_dn: pd, pkts_ttl: pu + pd, last_seen: lastSeen };
    });
  const protocols = Object.fromEntries(
    items.filter((i) => String(i.sk).startsWith('proto#')).map((i) => [String(i.sk).slice('proto#'.length), number(i.packets)]),
  );
  const interfaces = items.filter((i) => String(i.sk).startsWith('if#')).map((i) => (i.statistics ?? {}) as Record<string, unknown>);
  return {
    mac_address: mac,
    ip_address: text(profile.ip_address),
    host_name: text(profile.host_name),
    device_type: text(profile.device_type),
    operating_system: text(profile.operating_system),
    first_seen: text(profile.first_seen),
    last_seen: text(profile.last_seen),
    snap_shots: [...snapshotsNewestFirst].reverse().map((s) => ({
      time_stamp: String(s.time_stamp),
      upload_speed: number(s.upload_speed),
      download_speed: number(s.download_speed),
      active_connection: s.active_connection === true,
    })),
    applications,
    interfaces,
    protocols,
  };
}
