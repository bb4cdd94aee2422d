import { createHash } from 'node:crypto';

/** A stable shard in [0, shards) for a key: the same key always lands on the same shard. */
export function shardOf(key: string, shards: number): number {
  return createHash('sha1').update(key).digest().readUInt32BE(0) % shards;
}
