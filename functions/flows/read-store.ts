import { queryPage } from '../shared/partition-query.ts';
import { flowsConfig } from './config.ts';
import { hourPartition, type HourPosition } from './storage.ts';

/** The DynamoDB reads of the flows query (key design in storage.ts). */

type Item = Record<string, unknown>;

export interface HourPage {
  /** The hour's rows from the position on, at most `limit`. */
  rows: Item[];
  /** Where the next page starts; undefined when the hour has no more rows. */
  next: HourPosition | undefined;
}

/**
 * Up to `limit` rows of an hour from `from` on. The hour's shards are read in order, each in
 * key order, so the rows concatenate without a merge and a position is a shard and a key.
 */
export async function readHour(hour: number, limit: number, from: HourPosition): Promise<HourPage> {
  const config = flowsConfig();
  const rows: Item[] = [];
  let position: HourPosition | undefined = from;
  while (position !== undefined && rows.length < limit) {
    const page = await queryPage(config.flowsTable, hourPartition(hour, position.shard), { after: position.after, limit: limit - rows.length });
    rows.push(...page.items);
    const last = page.items.at(-1);
    position = page.lastEvaluatedKey !== undefined && last !== undefined
      ? { shard: position.shard, after: String(last.sk) }
      : position.shard + 1 < config.shards ? { shard: position.shard + 1 } : undefined;
  }
  return { rows, next: position };
}
