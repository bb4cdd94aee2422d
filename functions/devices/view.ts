import { stringifyJson } from '../shared/json.ts';
import { PROTOCOLS } from '../packets/protocols.ts';
import {
  APPLICATION_COUNT_ATTRIBUTE,
  APPLICATION_COUNT_PREFIX,
  APPLICATION_PREFIX,
  LEGACY_PROTOCOL_PREFIX,
  PACKET_COUNTS_PREFIX,
  PACKET_COUNT_ATTRIBUTE_PREFIX,
  PACKET_SIGHTING_PREFIX,
} from './storage.ts';

/** A device as API.md describes it, merged from every source. */
export interface DeviceView {
  mac_address: string;
  ip_address: string | null;
  host_name: string | null;
  device_type: string | null;
  operating_system: string | null;
  /** A device of the simulated network (seed 004's demo), not of a real client's. */
  simulated: boolean;
  first_seen: string | null;
  last_seen: string | null;
  snap_shots: { time_stamp: string; upload_speed: number; download_speed: number; active_connection: boolean }[];
  applications: {
    digest: string;
    app_name: string;
    bytes_up: Count;
    bytes_dn: Count;
    bytes_ttl: Count;
    pkts_up: Count;
    pkts_dn: Count;
    pkts_ttl: Count;
    last_seen: string | null;
  }[];
  applications_total: number;
  interfaces: Record<string, unknown>[];
  interfaces_total: number;
  protocols: Record<string, number>;
}

/** Sums past 2^53 are read as bigint and answered as exact JSON integers. */
type Count = number | bigint;

/**
 * How much of a device one view carries. Lambda answers at most 6 MB and a busy device
 * gathers applications and interfaces without end, so a view holds the newest of each:
 * applications by last_seen, interfaces by their latest reading, within a byte budget
 * because one interface's statistics may be large.
 */
export interface ViewLimits {
  applications: number;
  interfaces: number;
  interfaceBytes: number;
}

export const DEFAULT_VIEW_LIMITS: ViewLimits = { applications: 100, interfaces: 20, interfaceBytes: 1_000_000 };

/**
 * The attributes a view reads from the device's items (everything but interface statistics),
 * so that listing a device with many large interfaces does not load them all. Packet counts
 * are named one per protocol: writers count the layers of PROTOCOLS alone (layersOf), so a
 * protocol taken off that list would drop out of views with its counts.
 */
export const SUMMARY_ATTRIBUTES: readonly string[] = [
  'sk', 'digest', 'app_name', 'last_seen', 'packets', 'eventTime',
  'ip_address', 'ip_seen', 'host_name', 'device_type', 'operating_system', 'first_seen', 'simulated',
  APPLICATION_COUNT_ATTRIBUTE,
  ...PROTOCOLS.map((protocol) => `${PACKET_COUNT_ATTRIBUTE_PREFIX}${protocol}`),
];

type Item = Record<string, unknown>;

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const number = (value: unknown): number => (typeof value === 'number' ? value : Number(value ?? 0));
const count = (value: unknown): Count => (typeof value === 'bigint' ? value : number(value));
const sum = (a: Count, b: Count): Count => {
  if (typeof a === 'number' && typeof b === 'number' && Number.isSafeInteger(a + b)) return a + b;
  return BigInt(a) + BigInt(b);
};

/** Newest first by `field` (absent last), then by sort key, so that the choice is stable. */
function newestBy(items: readonly Item[], prefix: string, field: string, n: number): Item[] {
  return items
    .filter((i) => String(i.sk).startsWith(prefix))
    .sort((a, b) => {
      const [x, y] = [text(a[field]) ?? '', text(b[field]) ?? ''];
      if (x !== y) return x < y ? 1 : -1;
      return String(a.sk) < String(b.sk) ? -1 : 1;
    })
    .slice(0, n);
}

/** The application items a view shows; the query reads flow statistics for these alone. */
export const newestApplications = (items: readonly Item[], n: number): Item[] => newestBy(items, APPLICATION_PREFIX, 'last_seen', n);

/** How many applications the device has: its count shards summed (an item per flow would be read to count them otherwise). */
const applicationCount = (items: readonly Item[]): number =>
  items.filter((i) => String(i.sk).startsWith(APPLICATION_COUNT_PREFIX)).reduce((n, i) => n + number(i[APPLICATION_COUNT_ATTRIBUTE]), 0);

/** The interface items a view shows; the query reads full statistics for these alone. */
export const newestInterfaces = (items: readonly Item[], n: number): Item[] => newestBy(items, 'if#', 'eventTime', n);

/**
 * Assembles the view from the device's items (everything but snapshots; interface items
 * chosen by newestInterfaces carry their statistics), its snapshots newest first, and the
 * statistics of its flows by digest.
 */
export function buildDeviceView(
  mac: string,
  items: readonly Item[],
  snapshotsNewestFirst: readonly Item[],
  flowStats: ReadonlyMap<string, Item>,
  limits: ViewLimits = DEFAULT_VIEW_LIMITS,
): DeviceView {
  const profile = items.find((i) => i.sk === 'profile') ?? {};
  const applications = newestApplications(items, limits.applications).map((app) => {
    const digest = String(app.digest);
    const stats = flowStats.get(digest) ?? {};
    const [up, dn, pu, pd] = [count(stats.bytes_up), count(stats.bytes_dn), count(stats.pkts_up), count(stats.pkts_dn)];
    const lastSeen = [text(app.last_seen), text(stats.last_seen)].filter((t): t is string => t !== null).sort().at(-1) ?? null;
    return { digest, app_name: String(app.app_name), bytes_up: up, bytes_dn: dn, bytes_ttl: sum(up, dn), pkts_up: pu, pkts_dn: pd, pkts_ttl: sum(pu, pd), last_seen: lastSeen };
  });
  // Packet counts: the shards and the sightings not yet folded into them, merged alike.
  const shards = items.filter((i) => String(i.sk).startsWith(PACKET_COUNTS_PREFIX) || String(i.sk).startsWith(PACKET_SIGHTING_PREFIX));
  const seen = [profile, ...shards];
  const times = (field: string) => seen.map((i) => text(i[field])).filter((t): t is string => t !== null).sort();
  return {
    mac_address: mac,
    ip_address: latestAddress(profile, shards),
    host_name: text(profile.host_name),
    device_type: text(profile.device_type),
    operating_system: text(profile.operating_system),
    simulated: profile.simulated === true,
    first_seen: times('first_seen')[0] ?? null,
    last_seen: times('last_seen').at(-1) ?? null,
    snap_shots: [...snapshotsNewestFirst].reverse().map((s) => ({
      time_stamp: String(s.time_stamp),
      upload_speed: number(s.upload_speed),
      download_speed: number(s.download_speed),
      active_connection: s.active_connection === true,
    })),
    applications,
    applications_total: applicationCount(items),
    interfaces: interfacesWithin(newestInterfaces(items, limits.interfaces), limits.interfaceBytes),
    interfaces_total: items.filter((i) => String(i.sk).startsWith('if#')).length,
    protocols: protocolCounts(items, shards),
  };
}

/**
 * The address the device was last seen with: the profile's (inventory, Netify), as of its
 * ip_seen, or that of the packets seen last with one (each shard knows its latest, at
 * ip_seen); on equal times the profile's, then the larger address, so that the answer does
 * not depend on which shard a writer used.
 */
function latestAddress(profile: Item, shards: readonly Item[]): string | null {
  const candidates = [
    // As of ip_seen; profiles written before it existed had theirs as of last_seen.
    { ip: text(profile.ip_address), at: text(profile.ip_seen) ?? text(profile.last_seen) ?? '', rank: 1 },
    ...shards.map((s) => ({ ip: text(s.ip_address), at: text(s.ip_seen) ?? '', rank: 0 })),
  ].filter((c): c is { ip: string; at: string; rank: number } => c.ip !== null);
  candidates.sort((a, b) => (a.at !== b.at ? (a.at < b.at ? 1 : -1) : a.rank !== b.rank ? b.rank - a.rank : a.ip < b.ip ? 1 : -1));
  return candidates[0]?.ip ?? null;
}

/** Packets per protocol: the shards' counts summed, with what earlier writers kept per protocol. */
function protocolCounts(items: readonly Item[], shards: readonly Item[]): Record<string, number> {
  const counts = new Map<string, number>();
  const add = (protocol: string, n: unknown) => counts.set(protocol, (counts.get(protocol) ?? 0) + number(n));
  for (const item of items) if (String(item.sk).startsWith(LEGACY_PROTOCOL_PREFIX)) add(String(item.sk).slice(LEGACY_PROTOCOL_PREFIX.length), item.packets);
  for (const shard of shards) {
    for (const [name, n] of Object.entries(shard)) if (name.startsWith(PACKET_COUNT_ATTRIBUTE_PREFIX)) add(name.slice(PACKET_COUNT_ATTRIBUTE_PREFIX.length), n);
  }
  return Object.fromEntries([...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The statistics of the given interfaces, newest first, stopping before they pass maxBytes. */
function interfacesWithin(interfaces: readonly Item[], maxBytes: number): Record<string, unknown>[] {
  const chosen: Record<string, unknown>[] = [];
  let bytes = 0;
  for (const item of interfaces) {
    const statistics = (item.statistics ?? {}) as Record<string, unknown>;
    bytes += jsonBytes(statistics);
    if (bytes > maxBytes) break;
    chosen.push(statistics);
  }
  return chosen;
}

/** The size of a value in the response body. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(stringifyJson(value));
}
