import { shardOf } from '../shared/sharding.ts';

/**
 * Key design of the devices table. Everything about one device shares its partition
 * `dev#<mac>`, so a device view is two queries: `sk < "snap#"` (profile, applications,
 * interfaces, protocol counts) and the newest snapshots. Flow statistics are keyed by
 * the flow digest alone, because Netify's stats lines name only the digest; the device's
 * `app#<digest>` item says which digests are its. The device list is an index spread over
 * a few partitions, so listing never scans.
 */
export const DEVICE_INDEX_SHARDS = 4;

export type Key = { pk: string; sk: string };

export const profileKey = (mac: string): Key => ({ pk: `dev#${mac}`, sk: 'profile' });
export const indexKey = (mac: string): Key => ({ pk: `devices#${shardOf(mac, DEVICE_INDEX_SHARDS)}`, sk: mac });
export const indexPartition = (shard: number): string => `devices#${shard}`;
export const applicationKey = (mac: string, digest: string): Key => ({ pk: `dev#${mac}`, sk: `app#${digest}` });
export const flowStatsKey = (digest: string): Key => ({ pk: `flow#${digest}`, sk: 'stats' });
export const protocolKey = (mac: string, protocol: string): Key => ({ pk: `dev#${mac}`, sk: `proto#${protocol}` });
export const interfaceKey = (mac: string, name: string): Key => ({ pk: `dev#${mac}`, sk: `if#${name}` });
export const snapshotKey = (mac: string, time: string): Key => ({ pk: `dev#${mac}`, sk: `snap#${time}` });
/** An interface's readings in time order, kept apart from the device so that views stay small. */
export const readingPartition = (mac: string, name: string): string => `readings#${mac}#${name}`;

/** Sort keys below this hold everything of a device but its snapshots. */
export const SNAPSHOT_PREFIX = 'snap#';
