import { mergeUpdates, type CounterUpdate } from '../shared/exactly-once.ts';
import { indexEntry } from '../devices/updates.ts';
import { isDeviceMac, normalizeMac } from '../devices/mac.ts';
import { PACKET_COUNT_ATTRIBUTE_PREFIX, packetCountsKey } from '../devices/storage.ts';
import type { Packet } from './packet-schema.ts';
import { layersOf } from './storage.ts';

// Packets feed the device read model one way: this module writes to it, devices/ knows nothing of packets.

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

/**
 * Packets feed devices: every device a packet shows is sighted (first_seen, last_seen, the IP
 * address it was last seen with) and counts the packet under each of its layers. One update
 * per device, all on its sharded packet-counts item (see packetCountsKey); the transaction
 * that creates a shard also puts the device in the index.
 */
export function packetDeviceUpdates(table: string, packets: readonly { packet: Packet; timestamp: number }[]): CounterUpdate[] {
  return mergeUpdates(
    packets.flatMap(({ packet, timestamp }) => {
      const at = new Date(timestamp * 1000).toISOString();
      const add = Object.fromEntries(layersOf(packet).map((protocol) => [`${PACKET_COUNT_ATTRIBUTE_PREFIX}${protocol}`, 1]));
      return packetEndpoints(packet).map(({ mac, ip }): CounterUpdate => ({
        table,
        key: packetCountsKey(mac),
        shardAttribute: 'sk',
        add,
        set: { mac_address: mac },
        setIfOlder: { first_seen: at },
        setIfNewer: ip === undefined ? { last_seen: at } : { last_seen: at, ip_seen: at },
        ...(ip === undefined ? {} : { setWithNewer: { ip_seen: { ip_address: ip } } }),
        onCreate: [indexEntry(table, mac)],
      }));
    }),
  );
}
