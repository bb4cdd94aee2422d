import { getAll, keyOf } from '../shared/batch-writer.ts';
import { serviceUnavailable } from '../shared/errors.ts';
import { queryPartition } from '../shared/partition-query.ts';
import { backoffDelay, sleep } from '../shared/retry.ts';
import { markersFound } from '../shared/marked-fold.ts';
import { mergeShards, type MergedPage } from '../shared/shard-merge.ts';
import { devicesConfig } from './config.ts';
import {
  DEVICE_INDEX_SHARDS,
  APPLICATION_COUNT_PREFIX,
  APPLICATIONS_INDEX,
  DEVICE_STATE_PREFIX,
  PACKET_SIGHTING_PREFIX,
  SNAPSHOT_PREFIX,
  NO_SPEEDS,
  devicePartition,
  macOfDevicePartition,
  digestOfFlowStats,
  flowStatsKey,
  indexPartition,
  sightingFoldMarkerId,
  type Key,
} from './storage.ts';
import { SUMMARY_ATTRIBUTES, newestApplications, newestInterfaces, type ViewLimits } from './view.ts';

/** The DynamoDB reads of the devices queries (key design in storage.ts). */

type Item = Record<string, unknown>;

/** One page of known MACs in order, strictly after `after` when given. */
export async function deviceMacs(limit: number, after: string | undefined): Promise<MergedPage<string>> {
  const table = devicesConfig().devicesTable;
  // The index is spread over a few partitions; each is ordered by MAC, so the merge is too.
  return mergeShards({
    shards: DEVICE_INDEX_SHARDS,
    limit,
    order: 'ascending',
    read: async (shard, count) => (await queryPartition(table, indexPartition(shard), { after, limit: count })).map((item) => String(item.sk)),
    sortKey: (mac) => mac,
  });
}

/** What a device view is built from (see buildDeviceView). */
export interface DeviceItems {
  /** Everything but snapshots; the interfaces the view shows carry their statistics. */
  items: Item[];
  snapshotsNewestFirst: Item[];
  /** The statistics of the applications the view shows, by flow digest. */
  flowStats: Map<string, Item>;
}

/**
 * What readDevice reads of a device: its snapshots, and either what a view with these limits
 * shows or, with `stateOnly`, its state alone (see DEVICE_STATE_PREFIX): a view built from
 * that has no applications or interfaces and counts none, and costs the same however many
 * flows the device has.
 */
export type DeviceReadOptions = ViewLimits & { snapshots: number; stateOnly?: boolean };

/** Reads of a device begun again when a fold moved a sighting while it was read, before a 503. */
const FOLD_RACE_ATTEMPTS = 40;

/**
 * The items of one device that a view with these limits shows, or undefined when nothing is
 * known about it (see readDevices).
 */
export async function readDevice(mac: string, limits: DeviceReadOptions): Promise<DeviceItems | undefined> {
  return (await readDevices([mac], limits))[0];
}

/**
 * The items of each device that a view with these limits shows, in the order of `macs`,
 * undefined for a device nothing is known about. Of its applications only those the view
 * shows are read (the newest, through the applications index; their number comes from the
 * count shards), with their sums; of its interfaces, the statistics of those it shows. The
 * devices are read together, so that their fold markers take one BatchGetItem per 100 keys
 * before their items are read and one after, and their interface statistics and flow sums
 * another, rather than each device its own.
 */
export async function readDevices(macs: readonly string[], limits: DeviceReadOptions): Promise<(DeviceItems | undefined)[]> {
  return withDetails(await readSummaries(macs, limits), limits);
}

/** A device's items but its applications and its interfaces' statistics, and its snapshots. */
interface DeviceSummary {
  pk: string;
  summary: Item[];
  snapshotsNewestFirst: Item[];
}

/**
 * Packet sightings not yet folded count beside the shards, each once. A fold moves sightings
 * in one transaction (their markers, their deletes, their counts into `pkts#folded`), and a
 * read begun after another saw one write of a transaction sees them all. The reads, in turn,
 * for the devices of a group together: (1) each device's sightings, (2) their fold markers,
 * (3) each device's items, shards and all, (4) again the markers of the sightings that had
 * none in (2).
 * - Marker in (2): folded before (3) began, so the shards hold it; the sighting is a copy put
 *   again after its fold: skipped.
 * - No marker in (2) nor (4): no fold of it had committed by (4), so (3) saw none of it (a
 *   Query is read-committed and may see part of a transaction, but (4) would then see the
 *   marker written in the same one): pending, counted from (1).
 * - A marker in (4) only: folded in between, into the shards read or not: that device alone
 *   is read again (a 503 after FOLD_RACE_ATTEMPTS).
 * A sighting not listed in (1) was folded before it (the shards hold it) or put after it
 * began: a write concurrent with the read, in the shards or not, never counted as pending.
 * Listing the sightings again instead of (4) would take one folded and put back under the
 * same key for one never folded. Every read of the sightings, their markers and the shards is
 * strongly consistent: a stale one may answer from before a fold or a put that an earlier
 * read saw.
 */
async function readSummaries(macs: readonly string[], limits: DeviceReadOptions): Promise<(DeviceSummary | undefined)[]> {
  const { devicesTable: table, idempotencyTable } = devicesConfig();
  const summaries: (DeviceSummary | undefined)[] = macs.map(() => undefined);
  let unread = macs.map((mac, i) => ({ pk: devicePartition(mac), i }));
  for (let attempt = 1; unread.length > 0; attempt++) {
    const listed = await Promise.all(unread.map(({ pk }) => queryPartition(table, pk, { beginsWith: PACKET_SIGHTING_PREFIX, consistent: true })));
    const copies = await markersFound(idempotencyTable, listed.flat().map(markerIdOf));
    const read = await Promise.all(
      unread.map(({ pk }) =>
        Promise.all([
          limits.stateOnly === true
            ? // Whole: the state holds no interface statistics to leave out.
              queryPartition(table, pk, { beginsWith: DEVICE_STATE_PREFIX, consistent: true })
            : // From the application counts on, packet-count shards and all: the applications themselves are read newest first, as many as shown (withDetails).
              queryPartition(table, pk, { between: [APPLICATION_COUNT_PREFIX, SNAPSHOT_PREFIX], attributes: SUMMARY_ATTRIBUTES, consistent: true }),
          // Eventually consistent: snapshots are not added to anything read here, so a stale one only lags.
          limits.snapshots === 0 ? Promise.resolve([]) : queryPartition(table, pk, { beginsWith: SNAPSHOT_PREFIX, descending: true, limit: limits.snapshots, without: NO_SPEEDS }),
        ]),
      ),
    );
    const pending = listed.map((sightings) => sightings.filter((s) => !copies.has(markerIdOf(s))));
    const folded = await markersFound(idempotencyTable, pending.flat().map(markerIdOf));
    const raced = pending.map((sightings) => sightings.some((s) => folded.has(markerIdOf(s))));
    unread.forEach(({ pk, i }, n) => {
      if (raced[n] === true) return;
      const [projected, snapshotsNewestFirst] = read[n] ?? [[], []];
      // The items read hold the sightings too: those listed first stand for them, less the copies of folded ones.
      const summary = [...projected.filter((item) => !String(item.sk).startsWith(PACKET_SIGHTING_PREFIX)), ...(pending[n] ?? [])];
      if (summary.length > 0 || snapshotsNewestFirst.length > 0) summaries[i] = { pk, summary, snapshotsNewestFirst };
    });
    // Never counts that may hold a sighting twice or not at all: read again, or say so.
    unread = unread.filter((_, n) => raced[n] === true);
    if (unread.length === 0) break;
    if (attempt >= FOLD_RACE_ATTEMPTS) throw serviceUnavailable(`device ${macOfDevicePartition(unread[0]?.pk ?? '')} is being folded; try again`);
    await sleep(backoffDelay(attempt, 5, 100));
  }
  return summaries;
}

const markerIdOf = (sighting: Item) => sightingFoldMarkerId(sighting as Key);

/** The statistics of the applications and interfaces each view shows, read for those alone. */
async function withDetails(summaries: readonly (DeviceSummary | undefined)[], limits: ViewLimits): Promise<(DeviceItems | undefined)[]> {
  const table = devicesConfig().devicesTable;
  const applications = await Promise.all(summaries.map((device) => (device === undefined ? [] : newestApplicationItems(table, macOfDevicePartition(device.pk), limits.applications))));
  const interfaceKeys = summaries.flatMap((device) => (device === undefined ? [] : newestInterfaces(device.summary, limits.interfaces).map((i) => ({ pk: device.pk, sk: String(i.sk) }))));
  // Two devices may share a flow: getAll reads its statistics once. Eventually consistent: an
  // item read here is added to nothing (an interface's takes the summary's copy's place), so a stale one only lags.
  const keys = [...applications.flat().map((a) => flowStatsKey(String(a.digest))), ...interfaceKeys];
  const found = new Map((keys.length === 0 ? [] : await getAll(table, keys)).map((item) => [keyOf(item), item]));
  return summaries.map((device, n) => {
    if (device === undefined) return undefined;
    const shown = applications[n] ?? [];
    const stats = shown.map((a) => found.get(keyOf(flowStatsKey(String(a.digest))))).filter((item) => item !== undefined);
    return {
      items: [...device.summary.map((i) => found.get(keyOf({ pk: device.pk, sk: i.sk })) ?? i), ...shown],
      snapshotsNewestFirst: device.snapshotsNewestFirst,
      flowStats: new Map(stats.map((s) => [digestOfFlowStats(s), s])),
    };
  });
}

/**
 * A device's `limit` newest applications, as newestApplications orders them (last_seen, then
 * sort key), read from APPLICATIONS_INDEX rather than all of them. The index orders equal
 * times as it likes: one more is read, and when it shares the last one's time, all of that
 * time are read and the order decides among them.
 */
async function newestApplicationItems(table: string, mac: string, limit: number): Promise<Item[]> {
  if (limit === 0) return [];
  // An index is never read strongly consistent; the applications are shown, not counted (their number comes from the count shards).
  const newest = await queryPartition(table, mac, { index: APPLICATIONS_INDEX, descending: true, limit: limit + 1 });
  const [last, next] = [newest[limit - 1]?.last_seen, newest[limit]?.last_seen];
  if (next === undefined || next !== last) return newestApplications(newest, limit);
  const tied = await queryPartition(table, mac, { index: APPLICATIONS_INDEX, between: [String(last), String(last)] });
  return newestApplications([...newest.filter((i) => i.last_seen !== last), ...tied], limit);
}
