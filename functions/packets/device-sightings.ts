import { addExact, type CounterUpdate } from '../shared/exactly-once.ts';
import { indexEntry } from '../devices/updates.ts';
import { isDeviceMac, normalizeMac } from '../devices/mac.ts';
import { PACKET_COUNT_ATTRIBUTE_PREFIX, indexKey, packetCountsKey, packetSightingKey } from '../devices/storage.ts';
import type { Packet } from './packet-schema.ts';
import { layersOf } from './storage.ts';

// Packets feed the device read model one way: this module writes to it; of packets, devices/
// knows only the protocol names (protocols.ts), which name the counts its views read.

export interface Endpoint {
  mac: string;
  ip?: string;
}

/** The devices a packet shows: the link layer's source and destination, with the network layer's addresses. */
export function packetEndpoints(packet: Packet): Endpoint[] {
  const link = packet.Packet_802_3 as { Source_MAC?: string; Destination_MAC?: string } | undefined;
  const network = (packet.IPv4 ?? packet.IPv6) as { Source_Address?: string; Destination_Address?: string } | undefined;
  const arp = packet.ARP as { SHA?: string; SPA?: string } | undefined;
  const candidates: { mac?: string; ip?: string }[] = [
    { mac: link?.Source_MAC, ip: network?.Source_Address ?? arp?.SPA },
    { mac: link?.Destination_MAC, ip: network?.Destination_Address },
    { mac: arp?.SHA, ip: arp?.SPA },
  ];
  const found = new Map<string, Endpoint>();
  for (const { mac, ip } of candidates) {
    const normal = mac === undefined ? undefined : normalizeMac(mac);
    if (normal === undefined || !isDeviceMac(normal)) continue;
    const existing = found.get(normal);
    found.set(normal, { mac: normal, ip: existing?.ip ?? ip });
  }
  return [...found.values()];
}

/** A device's sighting in one message: shaped like a packet-counts shard (devices/storage.ts). */
export type PacketSighting = {
  pk: string;
  sk: string;
  mac_address: string;
  first_seen: string;
  last_seen: string;
  ip_address?: string;
  ip_seen?: string;
  [count: `${typeof PACKET_COUNT_ATTRIBUTE_PREFIX}${string}`]: number | bigint;
};

/**
 * Packets feed devices: every device a message's packets show is sighted once per message,
 * with first_seen, last_seen, the address it was last seen with and its packets per layer.
 * The item depends on the message alone (equal times: the larger address wins), so a
 * redelivered message puts the same items again and nothing is counted twice.
 */
export function packetSightings(ingestId: string, packets: readonly { packet: Packet; timestamp: number }[]): PacketSighting[] {
  const byMac = new Map<string, PacketSighting>();
  for (const { packet, timestamp } of packets) {
    const at = new Date(timestamp * 1000).toISOString();
    const layers = layersOf(packet);
    for (const { mac, ip } of packetEndpoints(packet)) {
      const sighting = byMac.get(mac) ?? { ...packetSightingKey(mac, ingestId), mac_address: mac, first_seen: at, last_seen: at };
      if (at < sighting.first_seen) sighting.first_seen = at;
      if (at > sighting.last_seen) sighting.last_seen = at;
      if (ip !== undefined && (sighting.ip_seen === undefined || at > sighting.ip_seen || (at === sighting.ip_seen && ip > (sighting.ip_address ?? '')))) {
        sighting.ip_address = ip;
        sighting.ip_seen = at;
      }
      for (const protocol of layers) {
        const name = `${PACKET_COUNT_ATTRIBUTE_PREFIX}${protocol}` as const;
        sighting[name] = addExact(sighting[name] ?? 0, 1);
      }
      byMac.set(mac, sighting);
    }
  }
  return [...byMac.values()];
}

/**
 * Which way a message's devices are counted. In the message's exactly-once transaction,
 * merged with the rest of its chunk, a device costs one action per chunk on a counts shard
 * of its own (see packetCountsKey): cheap while a message names few devices, as the
 * sniffer's one packet per request does. A message naming more than MAX_TRANSACTION_DEVICES
 * (a scan, many new hosts) would fill transactions with devices, so there only those with at
 * least TRANSACTION_MIN_PACKETS packets stay in it, and those it shows in passing are sighted
 * with a put, folded later. The choice depends on the message alone, so a redelivered
 * message goes the same way.
 */
export const MAX_TRANSACTION_DEVICES = 8;
export const TRANSACTION_MIN_PACKETS = 2;

/** What a message's packets tell of devices: sightings to put, and updates for the message's transaction. */
export interface PacketDevices {
  sightings: PacketSighting[];
  updates: CounterUpdate[];
}

export function packetDevices(table: string, ingestId: string, packets: readonly { packet: Packet; timestamp: number }[]): PacketDevices {
  const packetsOf = new Map<string, number>();
  for (const { packet } of packets) for (const { mac } of packetEndpoints(packet)) packetsOf.set(mac, (packetsOf.get(mac) ?? 0) + 1);
  const crowded = packetsOf.size > MAX_TRANSACTION_DEVICES;
  const inTransaction = (s: PacketSighting) => !crowded || (packetsOf.get(s.mac_address) ?? 0) >= TRANSACTION_MIN_PACKETS;
  const sightings = packetSightings(ingestId, packets);
  return { sightings: sightings.filter((s) => !inTransaction(s)), updates: sightings.filter(inTransaction).map((s) => countsUpdate(table, s)) };
}

/** A busy device's sighting as an update of its sharded counts; the transaction that creates a shard also indexes the device. */
function countsUpdate(table: string, sighting: PacketSighting): CounterUpdate {
  const { mac_address: mac, first_seen, last_seen, ip_address, ip_seen } = sighting;
  const add = Object.fromEntries(Object.entries(sighting).filter(([name]) => name.startsWith(PACKET_COUNT_ATTRIBUTE_PREFIX))) as Record<string, number | bigint>;
  return {
    table,
    key: packetCountsKey(mac),
    shardAttribute: 'sk',
    add,
    set: { mac_address: mac },
    setIfOlder: { first_seen },
    setIfNewer: ip_seen === undefined ? { last_seen } : { last_seen, ip_seen },
    ...(ip_address === undefined ? {} : { setWithNewer: { ip_seen: { ip_address } } }),
    onCreate: [indexEntry(table, mac)],
  };
}

/** The device index entries of these devices (what GET /devices lists): idempotent puts. */
export function indexEntries(macs: Iterable<string>): { pk: string; sk: string; mac_address: string }[] {
  return [...macs].map((mac) => ({ ...indexKey(mac), mac_address: mac }));
}
