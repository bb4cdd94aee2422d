import { putAll } from '../shared/batch-writer.ts';
import { queryPage } from '../shared/partition-query.ts';
import { isDevicePartition, macOfDevicePartition } from '../devices/storage.ts';

/**
 * Which devices changed lately, so that a push to a network with more devices than a message
 * holds reads the ones that changed last rather than every device (a sniffer's network can
 * show thousands of MACs; the message holds about 400). Kept in the live channel's own table:
 * an item per note, `recent#<bucket start>` / `<time>#<MAC>` in ten-minute buckets, expiring
 * after the horizon. While a dashboard is connected, the broadcaster notes what its
 * devices-table stream records name; writes to its own table are not device changes, so a
 * note never sets off another push.
 */
export const RECENT_BUCKET_MS = 10 * 60_000;
/** How far back a push looks for recent devices: the hour seed 004's panel plots. */
export const RECENT_HORIZON_MS = 60 * 60_000;
/** A device noted by this process within this long is not noted again: busy devices cost a write a minute. */
export const NOTE_EVERY_MS = 60_000;

const RECENT_PREFIX = 'recent#';
/** Noted MACs this process remembers at most: a broadcaster's memory is small, and a miss only writes again. */
const MAX_REMEMBERED = 50_000;
const notedAt = new Map<string, number>();

export const recentPartition = (bucketStart: number): string => `${RECENT_PREFIX}${new Date(bucketStart).toISOString()}`;
const bucketOf = (time: number): number => time - (time % RECENT_BUCKET_MS);

/** The MACs a devices-table stream batch names in device partitions (`dev#<mac>`), each once. */
export function changedDevices(partitionKeys: Iterable<string | undefined>): string[] {
  const macs = new Set<string>();
  for (const pk of partitionKeys) if (pk !== undefined && isDevicePartition(pk)) macs.add(macOfDevicePartition(pk));
  return [...macs];
}

/** Notes these devices as changed at `now`, but for those this process noted within NOTE_EVERY_MS. */
export async function noteRecentDevices(table: string, macs: readonly string[], now = Date.now()): Promise<number> {
  const due = macs.filter((mac) => {
    const at = notedAt.get(mac);
    return at === undefined || now - at >= NOTE_EVERY_MS || bucketOf(at) !== bucketOf(now);
  });
  if (due.length === 0) return 0;
  const pk = recentPartition(bucketOf(now));
  const expiresAt = Math.floor((bucketOf(now) + RECENT_BUCKET_MS + RECENT_HORIZON_MS) / 1000);
  // Sorted by time within the bucket, so that a push reads the newest notes first and no more than it needs.
  const sk = (mac: string) => `${new Date(now).toISOString()}#${mac}`;
  await putAll(table, due.map((mac) => ({ pk, sk: sk(mac), mac_address: mac, at: now, expires_at: expiresAt })));
  if (notedAt.size + due.length > MAX_REMEMBERED) notedAt.clear();
  for (const mac of due) notedAt.set(mac, now);
  return due.length;
}

/** Notes read per request: a busy device has up to one a minute in a bucket. */
const NOTES_PAGE = 1_000;

/**
 * Up to `limit` devices noted within RECENT_HORIZON_MS of `now`, the last noted first: the
 * newest notes first, bucket by bucket, until `limit` devices are found or the horizon is
 * passed, so a push reads about as many notes as it wants devices, however many are active.
 */
export async function recentDevices(table: string, limit: number, now = Date.now()): Promise<string[]> {
  const found = new Set<string>();
  for (let bucket = bucketOf(now); bucket > now - RECENT_HORIZON_MS - RECENT_BUCKET_MS; bucket -= RECENT_BUCKET_MS) {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await queryPage(table, recentPartition(bucket), { descending: true, limit: NOTES_PAGE, attributes: ['mac_address', 'at'] }, start);
      for (const item of page.items) {
        if (now - Number(item.at) > RECENT_HORIZON_MS) return [...found];
        // Times after `now` are skipped, not stopped at: notes are read newest first.
        if (Number(item.at) > now) continue;
        found.add(String(item.mac_address));
        if (found.size >= limit) return [...found];
      }
      start = page.lastEvaluatedKey;
    } while (start !== undefined);
  }
  return [...found];
}
