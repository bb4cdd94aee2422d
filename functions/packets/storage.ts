import { sortKeyCursor } from '../shared/cursor.ts';
import type { Envelope } from '../shared/queue-envelope.ts';
import type { IdempotentUnit } from '../shared/exactly-once.ts';
import { shardOf } from '../shared/sharding.ts';
import type { Packet } from './packet-schema.ts';
import { PROTOCOLS, type Protocol } from './protocols.ts';

/**
 * Key design. Packets table: one item per packet layer, partition `<protocol>#<shard>`
 * (the shard from the packet id, so one busy protocol spreads over `shards` partitions),
 * sort key `<timestamp µs, zero-padded>#<packet id>` so that a descending query per shard
 * is newest first and the merge of shards is ordered by the sort key alone.
 * Counts table: one item per counter shard (`protocols#<shard>`) with a number per protocol,
 * so that a transaction adds a message group's counts with one action whatever protocols the
 * packets carry, and reading every count is one BatchGetItem of `shards` keys, never a scan.
 * A writer adds to the shard its transaction holds at the time (see applyExactlyOnce), so
 * that concurrent writers never meet on one item.
 */
export type PacketLayerItem = {
  pk: string;
  sk: string;
  packet_id: string;
  protocol: Protocol;
  timestamp: number;
  fields: Record<string, unknown>;
};

export function packetId(ingestId: string, index: number): string {
  return `${ingestId}:${index}`;
}

/** When the packet was sniffed, in epoch seconds; when it was received if the client did not say. */
export function packetTimestamp(packet: Packet, receivedAtMs: number): number {
  return packet.Info?.Sniffed_Timestamp ?? receivedAtMs / 1000;
}

export function sortKey(timestampSeconds: number, id: string): string {
  return `${String(Math.round(timestampSeconds * 1e6)).padStart(20, '0')}#${id}`;
}

/** The partition of one protocol's layers in one packet shard. */
export function layerPartition(protocol: Protocol, shard: number): string {
  return `${protocol}#${shard}`;
}

export function layersOf(packet: Packet): Protocol[] {
  return PROTOCOLS.filter((p) => packet[p] !== undefined);
}

export function layerItems(envelope: Envelope, packets: readonly Packet[], shards: number): PacketLayerItem[] {
  return packets.flatMap((packet, index) => {
    const id = packetId(envelope.ingestId, index);
    const timestamp = packetTimestamp(packet, envelope.receivedAt);
    const shard = shardOf(id, shards);
    return layersOf(packet).map((protocol) => ({
      pk: layerPartition(protocol, shard),
      sk: sortKey(timestamp, id),
      packet_id: id,
      protocol,
      timestamp,
      fields: packet[protocol] as Record<string, unknown>,
    }));
  });
}

/** What a counter shard's key is before the shard is appended (see CounterUpdate.shardAttribute). */
const COUNTS_KEY = 'protocols';

export function counterKey(shard: number): { pk: string } {
  return { pk: `${COUNTS_KEY}#${shard}` };
}

/**
 * The count increments of one message: a number per layer present, guarded by the ingest id,
 * on the counter shard (as counterKey) that the committing writer holds.
 */
export function countUnit(envelope: Envelope, packets: readonly Packet[], countsTable: string): IdempotentUnit {
  const perProtocol: Partial<Record<Protocol, number>> = {};
  for (const packet of packets) for (const p of layersOf(packet)) perProtocol[p] = (perProtocol[p] ?? 0) + 1;
  const id = `packets#${envelope.ingestId}`;
  // Nothing to add is no update: an update that adds nothing has no expression to send.
  if (Object.keys(perProtocol).length === 0) return { id, updates: [] };
  return { id, updates: [{ table: countsTable, key: { pk: COUNTS_KEY }, shardAttribute: 'pk', add: perProtocol as Record<string, number> }] };
}

export function allCounterKeys(shards: number): { pk: string }[] {
  return Array.from({ length: shards }, (_, s) => counterKey(s));
}

/** Sums the counter shards into one count per protocol (protocols with no count are absent). */
export function sumCounters(items: readonly Record<string, unknown>[]): Map<Protocol, number> {
  const totals = new Map<Protocol, number>();
  for (const item of items) {
    for (const protocol of PROTOCOLS) {
      if (item[protocol] !== undefined) totals.set(protocol, (totals.get(protocol) ?? 0) + Number(item[protocol]));
    }
  }
  return totals;
}

// `<20 digits>#<ingest id>:<index>`; bounded so that no cursor can carry DynamoDB past its key-size limit.
const viewCursor = sortKeyCursor(/^\d{20}#[\w:-]{1,200}$/);

/** A view cursor is the sort key of the last row returned, opaque to clients. */
export function encodeCursor(sk: string): string {
  return viewCursor.encode(sk);
}

/** The sort key a view cursor carries, or undefined for any cursor the view did not hand out. */
export function decodeCursor(cursor: string): string | undefined {
  return viewCursor.decode(cursor);
}
