import { putAll } from '../shared/batch-writer.ts';
import { queryPartition } from '../shared/partition-query.ts';
import { macOfDevicePartition } from '../devices/storage.ts';

/**
 * Which devices changed lately, so that a push to a network with more devices than a message
 * holds reads the ones that changed last rather than every device (a sniffer's network can
 * show thousands of MACs; the message holds about 400). Kept in the live channel's own table:
 * an item per device and ten-minute bucket, `recent#<bucket start>` / MAC, with `at`, when it
 * was last noted (to the minute), expiring after the horizon. While a dashboard is connected,
 * the broadcaster notes what its devices-table stream records name; writes to its own table
 * are not device changes, so a note never sets off another push.
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
export const isRecentPartition = (pk: string | undefined): boolean => pk?.startsWith(RECENT_PREFIX) === true;
const bucketOf = (time: number): number => time - (time % RECENT_BUCKET_MS);

/** The MACs a devices-table stream batch names in device partitions (`dev#<mac>`), each once. */
export function changedDevices(partitionKeys: Iterable<string | undefined>): string[] {
  const macs = new Set<string>();
  for (const pk of partitionKeys) if (pk?.startsWith('dev#') === true) macs.add(macOfDevicePartition(pk));
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
  await putAll(table, due.map((mac) => ({ pk, sk: mac, at: now, expires_at: expiresAt })));
  if (notedAt.size + due.length > MAX_REMEMBERED) notedAt.clear();
  for (const mac of due) notedAt.set(mac, now);
  return due.length;
}

/**
 * Up to `limit` devices noted within RECENT_HORIZON_MS of `now`, the last noted first (MAC
 * order between equal times): the newest bucket first, older ones only while fewer than
 * `limit` are found.
 */
export async function recentDevices(table: string, limit: number, now = Date.now()): Promise<string[]> {
  const latest = new Map<string, number>();
  for (let bucket = bucketOf(now); bucket > now - RECENT_HORIZON_MS - RECENT_BUCKET_MS && latest.size < limit; bucket -= RECENT_BUCKET_MS) {
    for (const item of await queryPartition(table, recentPartition(bucket), { attributes: ['sk', 'at'] })) {
      const [mac, at] = [String(item.sk), Number(item.at)];
      if (now - at <= RECENT_HORIZON_MS && at > (latest.get(mac) ?? Number.NEGATIVE_INFINITY)) latest.set(mac, at);
    }
  }
  return [...latest]
    .sort(([macA, atA], [macB, atB]) => atB - atA || (macA < macB ? -1 : macA > macB ? 1 : 0))
    .slice(0, limit)
    .map(([mac]) => mac);
}

