import type { CounterUpdate } from '../shared/exactly-once.ts';
import type { InventoryRecord } from './inventory-schema.ts';
import type { NetifyRecord } from './netify.ts';
import { APPLICATION_OF, applicationKey, flowStatsKey, indexKey, profileKey } from './storage.ts';

/** The device's entry in the device index (what GET /devices lists). */
export function indexEntry(table: string, mac: string): CounterUpdate {
  return { table, key: indexKey(mac), add: {}, set: { mac_address: mac } };
}

/** What a source may tell of a device besides having seen it: its address, and how inventory describes it. */
export interface DeviceFacts {
  ip_address?: string;
  host_name?: string;
  device_type?: string;
  operating_system?: string;
  simulated?: boolean;
}

/**
 * What every source does when it mentions a device: first_seen keeps its first value,
 * last_seen its latest, and the device joins the device index. What the source knows of it
 * is what was true at `at`, so it replaces what the profile holds only if that is older:
 * the address as of ip_seen, the description (host name, type, system) as of described_at.
 * An older message written later, redelivered or from a slower writer, changes neither. All
 * of it is idempotent, so none of it needs a transaction (see applyExactlyOnce). The index
 * entry comes with creating the profile (before it, so a crash between them leaves no
 * profile unindexed): a device seen again costs one write, not two.
 */
export function sighting(table: string, mac: string, at: string, facts: DeviceFacts = {}): CounterUpdate[] {
  const { ip_address, ...description } = facts;
  const described = Object.keys(description).length > 0;
  return [
    {
      table,
      key: profileKey(mac),
      add: {},
      set: { mac_address: mac },
      setIfOlder: { first_seen: at },
      setIfNewer: { last_seen: at, ...(ip_address === undefined ? {} : { ip_seen: at }), ...(described ? { described_at: at } : {}) },
      setWithNewer: { ...(ip_address === undefined ? {} : { ip_seen: { ip_address } }), ...(described ? { described_at: description } : {}) },
      onCreate: [indexEntry(table, mac)],
    },
  ];
}

/** `simulated`: the records come from the simulated network, whose devices views mark as such. */
export function inventoryUpdates(table: string, records: readonly InventoryRecord[], at: string, simulated = false): CounterUpdate[] {
  return records.flatMap((r) =>
    sighting(table, r.mac_address, at, {
      ...(simulated ? { simulated: true } : {}),
      host_name: r.host_name,
      device_type: r.device_type,
      operating_system: r.operating_system,
      ip_address: r.ip_address,
    }),
  );
}

/** Netify: a flow names its device and application once per digest (the newest flow's name stays); stats add to the digest's sums. */
export function netifyUpdates(table: string, records: readonly NetifyRecord[], receivedAt: string): CounterUpdate[] {
  return records.flatMap((record): CounterUpdate[] => {
    const at = record.flow.last_seen_at === undefined ? receivedAt : new Date(record.flow.last_seen_at).toISOString();
    if (record.type === 'flow') {
      const { local_mac: mac, local_ip: ip, digest, detected_application_name: app } = record.flow;
      return [
        ...sighting(table, mac, at, ip === undefined ? {} : { ip_address: ip }),
        // The name as of last_seen: Netify refines a flow's application as it sees more of it.
        // Indexed by its device (APPLICATIONS_INDEX), so that views read the newest alone.
        { table, key: applicationKey(mac, digest), add: {}, set: { digest, [APPLICATION_OF]: mac }, setIfNewer: { last_seen: at }, setWithNewer: { last_seen: { app_name: app ?? 'Unknown' } } },
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
