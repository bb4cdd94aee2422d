import { describe, expect, it } from 'vitest';
import type { Envelope } from '../../functions/shared/queue-envelope.ts';
import type { Packet } from '../../functions/packets/packet-schema.ts';
import { legacyCountKey } from '../../functions/packets/legacy-counts.ts';
import { allCounterKeys, countUnit, sumCounters } from '../../functions/packets/storage.ts';

const envelope = { ingestId: 'ingest-1', receivedAt: 1_700_000_000_000 } as Envelope;
const tcp = { Packet_802_3: {}, IPv4: {}, TCP: {} } as unknown as Packet;
const arp = { Packet_802_3: {}, ARP: {} } as unknown as Packet;

describe('packet counts: one item per counter shard, a number per protocol', () => {
  it("adds a message's packets per layer in one sharded update, guarded by its ingest id", () => {
    expect(countUnit(envelope, [tcp, tcp, arp], 'counts')).toEqual({
      id: 'packets#ingest-1',
      updates: [{ table: 'counts', key: { pk: 'protocols' }, shardAttribute: 'pk', add: { Packet_802_3: 3, IPv4: 2, TCP: 2, ARP: 1 } }],
    });
  });

  it('reads one key per shard and sums the shards per protocol', () => {
    expect(allCounterKeys(3)).toEqual([{ pk: 'protocols#0' }, { pk: 'protocols#1' }, { pk: 'protocols#2' }]);
    const totals = sumCounters([
      { pk: 'protocols#0', TCP: 5, IPv4: 5 },
      { pk: 'protocols#2', TCP: 1n, ARP: 2 },
    ]);
    expect(Object.fromEntries(totals)).toEqual({ TCP: 6, IPv4: 5, ARP: 2 });
  });

  it('tells the old layout (an item per protocol and shard) from the new one', () => {
    expect(legacyCountKey('TCP#3')).toEqual({ protocol: 'TCP', shard: 3 });
    expect(legacyCountKey('Packet_802_3#0')).toEqual({ protocol: 'Packet_802_3', shard: 0 });
    expect(legacyCountKey('protocols#0')).toBeUndefined();
    expect(legacyCountKey('constructor#1')).toBeUndefined();
  });
});
