import { createHash } from 'node:crypto';
import { isKeyValue, jsonCursor, type CursorCodec } from '../shared/cursor.ts';
import type { Envelope } from '../shared/queue-envelope.ts';
import { addExact, type CounterUpdate } from '../shared/exactly-once.ts';
import { parseJson, stringifyJson } from '../shared/json.ts';
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

/** The folded item of one key in one hour shard: its sums added to, its names set. */
export function foldedUpdate(table: string, hour: number, shard: number, row: ReturnType<typeof deltaRows>[number]): CounterUpdate {
  return {
    table,
    key: { pk: hourPartition(hour, shard), sk: row.key },
    add: { bytes_tx: row.bytes_tx, bytes_rx: row.bytes_rx },
    set: { src_app: row.src_app, dest_app: row.dest_app, vpc_id: row.vpc_id, hour },
  };
}

/**
 * Pending sums: what the writer stores. A message's records, summed per key, are put as a few
 * delta items per hour shard, in partition `pending#<hour>#<shard>` under sort key
 * `<ingest id>#<part>`: idempotent puts (a redelivered message puts the same items again),
 * many records to an item, so the writer makes few, full writes rather than one transaction
 * action per key. Readers add an hour shard's deltas to its folded sums; the folder
 * (fold.ts) moves each delta into the folded sums exactly once and deletes it.
 */
export type FlowDelta = {
  pk: string;
  sk: string;
  hour: number;
  shard: number;
  /** The summed rows as JSON (exact integers past 2^53): one attribute, written and read whole. */
  rows: string;
};

/** One key's sums in a delta: [src_app, dest_app, vpc_id, bytes_tx, bytes_rx]. */
export type DeltaRow = [string, string, string, number | bigint, number | bigint];

export const PENDING_PREFIX = 'pending#';

export function pendingPartition(hour: number, shard: number): string {
  return `${PENDING_PREFIX}${hour}#${shard}`;
}

/** Rows per delta: one fold transaction holds a delta's rows, its marker and its delete (at most 100 actions). */
export const MAX_DELTA_ROWS = 98;
/** Bytes of rows per delta, well under DynamoDB's 400 KB item limit. */
const MAX_DELTA_BYTES = 300_000;

/** A message's deltas: its records summed per (hour, key), split deterministically by key order. */
export function flowDeltas(envelope: Envelope, records: readonly FlowRecord[], shards: number): FlowDelta[] {
  const byKey = new Map<string, { hour: number; shard: number; key: string; row: DeltaRow }>();
  for (const r of records) {
    const key = flowKey(r);
    const id = `${r.hour}\u0000${key}`;
    const existing = byKey.get(id);
    if (existing === undefined) byKey.set(id, { hour: r.hour, shard: shardOf(key, shards), key, row: [r.src_app, r.dest_app, r.vpc_id, r.bytes_tx, r.bytes_rx] });
    else existing.row = [r.src_app, r.dest_app, r.vpc_id, addExact(existing.row[3], r.bytes_tx), addExact(existing.row[4], r.bytes_rx)];
  }
  const byPartition = new Map<string, { hour: number; shard: number; rows: { key: string; row: DeltaRow }[] }>();
  for (const { hour, shard, key, row } of byKey.values()) {
    const pk = pendingPartition(hour, shard);
    const partition = byPartition.get(pk) ?? { hour, shard, rows: [] };
    partition.rows.push({ key, row });
    byPartition.set(pk, partition);
  }
  const deltas: FlowDelta[] = [];
  for (const [pk, { hour, shard, rows }] of byPartition) {
    rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    let part: string[] = [];
    let bytes = 0;
    let parts = 0;
    const flush = () => {
      deltas.push({ pk, sk: `${envelope.ingestId}#${parts++}`, hour, shard, rows: `[${part.join(',')}]` });
      part = [];
      bytes = 0;
    };
    for (const { row } of rows) {
      const text = stringifyJson(row);
      const size = Buffer.byteLength(text) + 1;
      if (part.length > 0 && (part.length >= MAX_DELTA_ROWS || bytes + size > MAX_DELTA_BYTES)) flush();
      part.push(text);
      bytes += size;
    }
    flush();
  }
  return deltas;
}

/** A delta's rows as the folded items' fields, each with its key. */
export function deltaRows(rows: string): { key: string; src_app: string; dest_app: string; vpc_id: string; bytes_tx: number | bigint; bytes_rx: number | bigint }[] {
  return (parseJson(rows) as DeltaRow[]).map(([src_app, dest_app, vpc_id, bytes_tx, bytes_rx]) => ({
    key: flowKey({ src_app, dest_app, vpc_id }),
    src_app,
    dest_app,
    vpc_id,
    bytes_tx,
    bytes_rx,
  }));
}

/** The fold marker of a delta: present once the delta's rows are in the folded sums. */
export function foldMarkerId(delta: Pick<FlowDelta, 'pk' | 'sk'>): string {
  return `flows-fold#${delta.pk}#${delta.sk}`;
}
