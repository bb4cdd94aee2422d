/** Whether a paged query runs newest first (descending sort keys) or ascending. */
export type SortOrder = 'ascending' | 'descending';

export interface MergedPage<T> {
  /** The first `limit` items across every shard, in the order asked for. */
  items: T[];
  /** Whether any shard holds an item past the page. */
  more: boolean;
}

export interface ShardMerge<T> {
  /** How many partitions the items are spread over, numbered from 0. */
  shards: number;
  limit: number;
  order: SortOrder;
  /** The first `count` items of one shard in `order` (fewer only when it has no more). */
  read: (shard: number, count: number) => Promise<T[]>;
  sortKey: (item: T) => string;
}

/**
 * One page of items spread over a few partitions, each ordered by its sort key: every shard
 * gives its first `limit + 1`, and because each is in order, the first `limit` of their
 * merge are the first overall; the one past them says whether there is a next page.
 */
export async function mergeShards<T>({ shards, limit, order, read, sortKey }: ShardMerge<T>): Promise<MergedPage<T>> {
  const perShard = await Promise.all(Array.from({ length: shards }, (_, shard) => read(shard, limit + 1)));
  const sign = order === 'descending' ? -1 : 1;
  const merged = perShard.flat().sort((a, b) => {
    const [x, y] = [sortKey(a), sortKey(b)];
    return x < y ? -sign : x > y ? sign : 0;
  });
  return { items: merged.slice(0, limit), more: merged.length > limit };
}
