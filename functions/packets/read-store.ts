import { getAll } from '../shared/batch-writer.ts';
import { queryPartition } from '../shared/partition-query.ts';
import { mergeShards, type MergedPage } from '../shared/shard-merge.ts';
import { packetsConfig } from './config.ts';
import type { Protocol } from './protocols.ts';
import { allCounterKeys, layerPartition, sumCounters, type PacketLayerItem } from './storage.ts';

/** The DynamoDB reads of the packets queries (key design in storage.ts). */

/** Packets per protocol, summed over the counter shards; protocols with none are absent. */
export async function protocolCounts(): Promise<Map<Protocol, number>> {
  const config = packetsConfig();
  const totals = sumCounters(await getAll(config.countsTable, allCounterKeys(config.counterShards)));
  for (const [protocol, n] of totals) if (n <= 0) totals.delete(protocol);
  return totals;
}

/** One page of a protocol's layers newest first, strictly older than the sort key `before` when given. */
export async function newestLayers(protocol: Protocol, limit: number, before: string | undefined): Promise<MergedPage<PacketLayerItem>> {
  const config = packetsConfig();
  return mergeShards({
    shards: config.packetShards,
    limit,
    order: 'descending',
    read: async (shard, count) =>
      (await queryPartition(config.packetsTable, layerPartition(protocol, shard), { before, descending: true, limit: count })) as PacketLayerItem[],
    sortKey: (item) => item.sk,
  });
}
