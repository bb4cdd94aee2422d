import type { CounterUpdate } from '../shared/exactly-once.ts';
import { sighting } from '../devices/updates.ts';
import { isDeviceMac, normalizeMac } from '../devices/mac.ts';
import { protocolKey } from '../devices/storage.ts';
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

/** Packets feed devices: every device a packet shows is sighted and counts the packet under each of its layers. */
export function packetDeviceUpdates(table: string, packets: readonly { packet: Packet; timestamp: number }[]): CounterUpdate[] {
  return packets.flatMap(({ packet, timestamp }) => {
    const at = new Date(timestamp * 1000).toISOString();
    const layers = layersOf(packet);
    return packetEndpoints(packet).flatMap(({ mac, ip }) => [
      ...sighting(table, mac, at, ip === undefined ? {} : { ip_address: ip }),
      ...layers.map((protocol) => ({ table, key: protocolKey(mac, protocol), add: { packets: 1 } })),
    ]);
  });
}
