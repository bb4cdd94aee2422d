import type { CounterUpdate } from '../shared/exactly-once.ts';
import type { Packet } from '../packets/packet-schema.ts';
import { layersOf } from '../packets/storage.ts';
import type { InventoryRecord } from './inventory-schema.ts';
import { isDeviceMac, normalizeMac } from './mac.ts';
import type { NetifyRecord } from './netify.ts';
import { applicationKey, flowStatsKey, indexKey, profileKey, protocolKey } from './storage.ts';

/**
 * What every source does when it mentions a device: the profile learns what the source
 * knows, first_seen keeps its first value, and the device joins the device index.
 */
export function sighting(table: string, mac: string, at: string, known: Record<string, unknown> = {}): CounterUpdate[] {
  return [
    { table, key: profileKey(mac), add: {}, set: { mac_address: mac, ...known }, setIfOlder: { first_seen: at }, setIfNewer: { last_seen: at } },
    { table, key: indexKey(mac), add: {}, set: { mac_address: mac } },
  ];
}

export function inventoryUpdates(table: string, records: readonly InventoryRecord[], at: string): CounterUpdate[] {
  return records.flatMap((r) =>
    sighting(table, r.mac_address, at, {
      host_name: r.host_name,
      device_type: r.device_type,
      operating_system: r.operating_system,
      ip_address: r.ip_address,
    }),
  );
}

/** Netify: a flow names its device and application once per digest; stats add to the digest's sums. */
export function netifyUpdates(table: string, records: readonly NetifyRecord[], receivedAt: string): CounterUpdate[] {
  return records.flatMap((record): CounterUpdate[] => {
    const at = record.flow.last_seen_at === undefined ? receivedAt : new Date(record.flow.last_seen_at).toISOString();
    if (record.type === 'flow') {
      const { local_mac: mac, local_ip: ip, digest, detected_application_name: app } = record.flow;
      return [
        ...sighting(table, mac, at, ip === undefined ? {} : { ip_address: ip }),
        { table, key: applicationKey(mac, digest), add: {}, set: { digest, app_name: app ?? 'Unknown' }, setIfNewer: { last_seen: at } },
      ];
    }
    const f = record.flow;
    return [
      {
        table,
        key: flowStatsKey(f.digest),
        add: { bytes_up: f.local_bytes, bytes_dn: f.other_bytes, pkts_up: f.local_packets, pkts_dn: f.other_packets },
        setIfNewer: { last_seen: at },
      },
    ];
  });
}

interface Endpoint {
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
