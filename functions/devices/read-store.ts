import { getAll } from '../shared/batch-writer.ts';
import { queryPartition } from '../shared/partition-query.ts';
import { mergeShards, type MergedPage } from '../shared/shard-merge.ts';
import { devicesConfig } from './config.ts';
import { DEVICE_INDEX_SHARDS, PACKET_COUNTS_PREFIX, SNAPSHOT_PREFIX, devicePartition, digestOfFlowStats, flowStatsKey, indexPartition } from './storage.ts';
import { SUMMARY_ATTRIBUTES, newestApplications, newestInterfaces, type ViewLimits } from './view.ts';

/** The DynamoDB reads of the devices queries (key design in storage.ts). */

type Item = Record<string, unknown>;

/** One page of known MACs in order, strictly after `after` when given. */
export async function deviceMacs(limit: number, after: string | undefined): Promise<MergedPage<string>> {
  const table = devicesConfig().devicesTable;
  // The index is spread over a few partitions; each is ordered by MAC, so the merge is too.
  return mergeShards({
    shards: DEVICE_INDEX_SHARDS,
    limit,
    order: 'ascending',
    read: async (shard, count) => (await queryPartition(table, indexPartition(shard), { after, limit: count })).map((item) => String(item.sk)),
    sortKey: (mac) => mac,
  });
}

/** What a device view is built from (see buildDeviceView). */
export interface DeviceItems {
  /** Everything but snapshots; the interfaces the view shows carry their statistics. */
  items: Item[];
  snapshotsNewestFirst: Item[];
  /** The statistics of the applications the view shows, by flow digest. */
  flowStats: Map<string, Item>;
}

/**
 * The items of one device that a view with these limits shows, or undefined when nothing is
 * known about it. Only what the view shows is read in full: the chosen applications' sums
 * and interfaces' statistics.
 */
export async function readDevice(mac: string, limits: ViewLimits & { snapshots: number }): Promise<DeviceItems | undefined> {
  const table = devicesConfig().devicesTable;
  const pk = devicePartition(mac);
  const [projected, packetShards, snapshotsNewestFirst] = await Promise.all([
    queryPartition(table, pk, { before: SNAPSHOT_PREFIX, attributes: SUMMARY_ATTRIBUTES }),
    // Whole: their attributes are one count per protocol, which the projection cannot name.
    queryPartition(table, pk, { beginsWith: PACKET_COUNTS_PREFIX }),
    limits.snapshots === 0 ? Promise.resolve([]) : queryPartition(table, pk, { beginsWith: SNAPSHOT_PREFIX, descending: true, limit: limits.snapshots }),
  ]);
  const summary = [...projected.filter((i) => !String(i.sk).startsWith(PACKET_COUNTS_PREFIX)), ...packetShards];
  if (summary.length === 0 && snapshotsNewestFirst.length === 0) return undefined;
  const digests = newestApplications(summary, limits.applications).map((i) => String(i.digest));
  const interfaceKeys = newestInterfaces(summary, limits.interfaces).map((i) => ({ pk, sk: String(i.sk) }));
  const [stats, interfaces] = await Promise.all([getAll(table, digests.map(flowStatsKey)), getAll(table, interfaceKeys)]);
  const full = new Map(interfaces.map((i) => [String(i.sk), i]));
  return {
    items: summary.map((i) => full.get(String(i.sk)) ?? i),
    snapshotsNewestFirst,
    flowStats: new Map(stats.map((s) => [digestOfFlowStats(s), s])),
  };
}
