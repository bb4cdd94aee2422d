import type { CursorCodec } from '../shared/cursor.ts';
import type { IndexKeys } from '../shared/partition-query.ts';
import { shardOf } from '../shared/sharding.ts';
import { normalizeMac } from './mac.ts';

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

const DEVICE_PARTITION_PREFIX = 'dev#';
/** The partition holding everything about one device. */
export const devicePartition = (mac: string): string => `${DEVICE_PARTITION_PREFIX}${mac}`;
export const macOfDevicePartition = (pk: string): string => pk.slice(DEVICE_PARTITION_PREFIX.length);
export const isDevicePartition = (pk: string): boolean => pk.startsWith(DEVICE_PARTITION_PREFIX);
export const profileKey = (mac: string): Key => ({ pk: devicePartition(mac), sk: 'profile' });
export const indexKey = (mac: string): Key => ({ pk: indexPartition(shardOf(mac, DEVICE_INDEX_SHARDS)), sk: mac });
export const indexPartition = (shard: number): string => `devices#${shard}`;
export const APPLICATION_PREFIX = 'app#';
export const applicationKey = (mac: string, digest: string): Key => ({ pk: devicePartition(mac), sk: `${APPLICATION_PREFIX}${digest}` });
/**
 * A device's applications (one item per flow a Netify agent reports, thousands a day for a
 * busy host) are read newest first through this index of the devices table: its partition
 * key APPLICATION_OF (the device's MAC, set on application items alone), its sort key their
 * last_seen. A view reads the newest it shows, not every one.
 */
export const APPLICATION_OF = 'app_of';
export const APPLICATIONS_INDEX: IndexKeys = { name: 'applications', partitionKey: APPLICATION_OF, sortKey: 'last_seen' };
/**
 * How many applications a device has: `applications` summed over a few shards, a shard per
 * flow by its digest, each added to by the transaction that creates an application item
 * (applications.ts). Sorts after every `app#` item, so that a view's summary reads from here.
 */
export const APPLICATION_COUNT_PREFIX = 'apps#';
export const APPLICATION_COUNT_SHARDS = 4;
export const APPLICATION_COUNT_ATTRIBUTE = 'applications';
/** Set on an application item by the transaction that counted it: items stored before counting began lack it. */
export const APPLICATION_COUNTED = 'counted';
export const applicationCountKey = (mac: string, digest: string): Key => ({ pk: devicePartition(mac), sk: `${APPLICATION_COUNT_PREFIX}${shardOf(digest, APPLICATION_COUNT_SHARDS)}` });
export const flowStatsKey = (digest: string): Key => ({ pk: `flow#${digest}`, sk: 'stats' });
/** The digest a flow statistics item is about. */
export const digestOfFlowStats = (item: { pk?: unknown }): string => String(item.pk).slice('flow#'.length);
/**
 * What packets tell of a device: its packet count per protocol (attributes
 * `packets#<protocol>`), first_seen, last_seen and the IP address it was last seen with
 * (ip_address at ip_seen), in shards under `pkts#`: `pkts#<n>`, which the packets writer's
 * concurrent transactions take one each for busy devices, so that a busy device is never one
 * hot item, and the sightings folder's `pkts#folded`. Readers merge the shards and the
 * pending sightings: counts add up, first_seen is the earliest, last_seen the latest.
 */
export const packetCountsKey = (mac: string): Key => ({ pk: devicePartition(mac), sk: 'pkts' });
export const PACKET_COUNTS_PREFIX = 'pkts#';
export const PACKET_COUNT_ATTRIBUTE_PREFIX = 'packets#';
/**
 * What one packets message tells of a device it shows in passing, shaped like a
 * packet-counts shard: the packets writer puts one per such device and message (an
 * idempotent put, no transaction), readers add them to the shards, and the sightings folder
 * (sightings-fold.ts) later moves a device's sightings into its folded shard, each exactly
 * once. The prefix sorts outside `pkts#`, so the shards read without them.
 */
export const PACKET_SIGHTING_PREFIX = 'pkts~';
export const packetSightingKey = (mac: string, ingestId: string): Key => ({ pk: devicePartition(mac), sk: `${PACKET_SIGHTING_PREFIX}${ingestId}` });
/** The shard the sightings folder adds to: counts, first_seen, last_seen and the address seen last. */
export const foldedSightingsKey = (mac: string): Key => ({ pk: devicePartition(mac), sk: `${PACKET_COUNTS_PREFIX}folded` });
/** The marker of a folded sighting, in the idempotency table: a copy put again after its fold is not counted. */
export const sightingFoldMarkerId = (key: Key): string => `packets-fold#${key.pk}#${key.sk}`;
/** Earlier writers kept one item per protocol (`proto#<protocol>`, attribute `packets`); views still read them. */
export const LEGACY_PROTOCOL_PREFIX = 'proto#';
export const interfaceKey = (mac: string, name: string): Key => ({ pk: devicePartition(mac), sk: `if#${name}` });
export const snapshotKey = (mac: string, time: string): Key => ({ pk: devicePartition(mac), sk: `snap#${time}` });
/**
 * Marks a snapshot item that holds no speeds: its reading follows a counter reset, a new
 * discontinuity-time or a reading not earlier than it. Kept rather than deleted, with the
 * predecessor it was computed from, so that a writer that read an older neighbour cannot
 * put speeds back (interfaces.ts); readers skip it.
 */
export const NO_SPEEDS = 'no_speeds';
/** An interface's readings in time order, kept apart from the device so that views stay small. */
export const readingPartition = (mac: string, name: string): string => `readings#${mac}#${name}`;

/** Sort keys below this hold everything of a device but its snapshots. */
export const SNAPSHOT_PREFIX = 'snap#';

/**
 * Sort keys that start with this hold a device's state: its profile, packet counts and
 * sightings, and the per-protocol counts of earlier writers; not its applications (`app#`,
 * one per flow a Netify agent reports) or interfaces (`if#`). A live push reads only these.
 */
export const DEVICE_STATE_PREFIX = 'p';

/**
 * The device list's cursor is the last MAC of the previous page as it is, not base64url
 * text: a MAC is already safe in a URL, and the list has always answered and taken MACs in
 * any spelling normalizeMac reads. Its canonical form is what the index sorts by.
 */
export const deviceListCursor: CursorCodec<string> = { encode: (mac) => mac, decode: normalizeMac };
