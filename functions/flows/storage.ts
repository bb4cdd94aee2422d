import { createHash } from 'node:crypto';
import { isKeyValue, jsonCursor, type CursorCodec } from '../shared/cursor.ts';
import type { Envelope } from '../shared/queue-envelope.ts';
import type { CounterUpdate, IdempotentUnit } from '../shared/exactly-once.ts';
import { shardOf } from '../shared/sharding.ts';
import type { FlowRecord } from './flow-schema.ts';

/**
 * Key design: partition `<hour>#<shard>` with the shard from the flow key, so one busy
 * hour spreads its writes over `shards` partitions; sort key the flow key. Each part is
 * percent-encoded before joining, so no two app pairs share a key ("ab"+"c" is not
 * "a"+"bc"). Reading an hour queries its shards and concatenates them.
 */
export function flowKey(record: Pick<FlowRecord, 'src_app' | 'dest_app' | 'vpc_id'>): string {
  const key = [record.src_app, record.dest_app, record.vpc_id].map(encodeURIComponent).join('|');
  // A sort key holds at most 1024 bytes; '#' never occurs in an encoded key, so the two forms cannot meet.
  return key.length <= MAX_PLAIN_KEY ? key : `#${createHash('sha256').update(key).digest('base64url')}`;
}

const MAX_PLAIN_KEY = 1000;

export function hourPartition(hour: number, shard: number): string {
  return `${hour}#${shard}`;
}

/**
 * Where a read of an hour stands: an hour is read shard by shard, each in key order, so a
 * position is a shard and the last key read there (none when the shard is still unread).
 */
export interface HourPosition {
  shard: number;
  after?: string;
}

/**
 * The cursor of an hour's pages: its position as JSON, taken back only when the shard
 * exists and the key is one DynamoDB takes, so that the query built from it cannot fail.
 */
export function hourCursor(shards: number): CursorCodec<HourPosition> {
  return jsonCursor((value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const { shard, after, ...rest } = value as Record<string, unknown>;
    const validShard = typeof shard === 'number' && Number.isInteger(shard) && shard >= 0 && shard < shards;
    const validAfter = after === undefined || (typeof after === 'string' && isKeyValue(after));
    if (!validShard || !validAfter || Object.keys(rest).length > 0) return undefined;
    return after === undefined ? { shard } : { shard, after };
  });
}

/** One message's sums: one update per distinct (hour, flow key), applied exactly once. */
export function flowUnit(envelope: Envelope, records: readonly FlowRecord[], table: string, shards: number): IdempotentUnit {
  const updates: CounterUpdate[] = records.map((r) => {
    const sk = flowKey(r);
    return {
      table,
      key: { pk: hourPartition(r.hour, shardOf(sk, shards)), sk },
      add: { bytes_tx: r.bytes_tx, bytes_rx: r.bytes_rx },
      set: { src_app: r.src_app, dest_app: r.dest_app, vpc_id: r.vpc_id, hour: r.hour },
    };
  });
  return { id: `flows#${envelope.ingestId}`, updates };
}
