import { queryPartition } from '../shared/partition-query.ts';
import { mergeShards, type MergedPage } from '../shared/shard-merge.ts';
import { notificationsConfig } from './config.ts';
import { historyPartition } from './storage.ts';

/** The DynamoDB reads of the notifications query (key design in storage.ts). */

type Item = Record<string, unknown>;

/** One page of the history newest first, strictly older than the sort key `before` when given. */
export async function newestNotifications(limit: number, before: string | undefined): Promise<MergedPage<Item>> {
  const config = notificationsConfig();
  return mergeShards({
    shards: config.shards,
    limit,
    order: 'descending',
    read: (shard, count) => queryPartition(config.notificationsTable, historyPartition(shard), { before, descending: true, limit: count }),
    sortKey: (item) => String(item.sk),
  });
}
