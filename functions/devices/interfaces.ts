import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { queryPage, queryPartition } from '../shared/partition-query.ts';
import { forEachLimited, putAll } from '../shared/batch-writer.ts';
import { documentClient } from '../shared/dynamodb-client.ts';
import { NO_SPEEDS, interfaceKey, readingPartition, snapshotKey } from './storage.ts';

/** What a device keeps of an interface's readings, to turn consecutive ones into speeds. */
export interface CounterReading {
  eventTime: string;
  discontinuityTime: string;
  inOctets: string;
  outOctets: string;
}

export interface InterfaceReading extends CounterReading {
  mac: string;
  name: string;
  operStatus: string;
  /** The interface as the notification gave it, shown in the device view. */
  statistics: Record<string, unknown>;
}

export interface Speeds {
  upload_speed: number;
  download_speed: number;
}

const READING_RETENTION_SECONDS = 30 * 86_400;
/** Snapshots of one batch written at once, each a conditional put of its own. */
const PARALLEL_SNAPSHOTS = 8;

/**
 * Upload (out) and download (in) speed in bits/s between two readings of one interface.
 * None for the first reading, a changed discontinuity-time, a counter that went
 * backwards (a reset or a wrap looks the same) or a reading not later than the last:
 * the new reading becomes the baseline instead of a negative or huge speed.
 */
export function speedsBetween(previous: CounterReading | undefined, current: CounterReading): Speeds | undefined {
  if (previous === undefined || previous.discontinuityTime !== current.discontinuityTime) return undefined;
  const seconds = (Date.parse(current.eventTime) - Date.parse(previous.eventTime)) / 1000;
  if (!(seconds > 0)) return undefined;
  const inDelta = BigInt(current.inOctets) - BigInt(previous.inOctets);
  const outDelta = BigInt(current.outOctets) - BigInt(previous.outOctets);
  if (inDelta < 0n || outDelta < 0n) return undefined;
  return { upload_speed: Math.round((Number(outDelta) * 8) / seconds), download_speed: Math.round((Number(inDelta) * 8) / seconds) };
}

type StoredReading = CounterReading & { operStatus: string };

/**
 * Records one interface's readings so that the result does not depend on the order they
 * arrive in: each reading is kept in the interface's series, and the snapshot at every
 * reading whose predecessor in time is new (the new readings and the one after each) is
 * computed from its neighbours. A late reading thus fills its gap and corrects its
 * successor; a redelivered one recomputes the same values. The interface's latest
 * statistics move only forward. Readings with the same eventTime are one reading, the last
 * given. The series is read once for the batch (from the reading before the first to the
 * one after the last), after the new readings are put and the latest statistics moved, and
 * the snapshots are written together. Two reads are often skipped: a batch of one reading
 * has nothing stored between its first and last but itself, and when the last became the
 * latest, no stored reading comes after it (a later one put meanwhile becomes the latest
 * only after this, so its writer reads this batch's readings as its predecessors). The
 * third often is: a batch of one that became the latest takes the latest it replaced as its
 * predecessor (replacedPredecessor). An interface reporting in order, one reading a message,
 * costs no query, not three.
 */
export async function recordInterfaceReadings(table: string, readings: readonly InterfaceReading[]): Promise<void> {
  await putAll(table, readingItems(readings));
  await snapshotStoredReadings(table, readings);
}

/**
 * The items that keep one interface's readings in its series: what recordInterfaceReadings
 * puts first. A writer with several interfaces puts them all in shared requests, then calls
 * snapshotStoredReadings for each interface.
 */
export function readingItems(readings: readonly InterfaceReading[]): Record<string, unknown>[] {
  const expiresAt = Math.floor(Date.now() / 1000) + READING_RETENTION_SECONDS;
  return inTimeOrder(readings).map((r) => ({ pk: readingPartition(r.mac, r.name), sk: r.eventTime, ...storedReading(r), expires_at: expiresAt }));
}

/** Readings with the same eventTime are one reading, the last given; in time order. */
function inTimeOrder(readings: readonly InterfaceReading[]): InterfaceReading[] {
  return [...new Map(readings.map((r) => [r.eventTime, r])).values()].sort((a, b) => (a.eventTime < b.eventTime ? -1 : 1));
}

/** The rest of recordInterfaceReadings, once the readings' items (readingItems) are stored: the latest statistics, then the snapshots. */
export async function snapshotStoredReadings(table: string, readings: readonly InterfaceReading[]): Promise<void> {
  const batch = inTimeOrder(readings);
  const byTime = new Set(batch.map((r) => r.eventTime));
  const first = batch[0];
  const last = batch.at(-1);
  if (first === undefined || last === undefined) return;
  const pk = readingPartition(first.mac, first.name);
  const { isLatest, replaced } = await advanceLatest(table, last);
  const known = batch.length === 1 ? replacedPredecessor(replaced) : undefined;
  const [previous, within, next] = await Promise.all([
    known ?? neighbour(table, pk, first.eventTime, 'before'),
    batch.length === 1 ? [storedReading(first)] : readingsBetween(table, pk, first.eventTime, last.eventTime),
    isLatest ? undefined : neighbour(table, pk, last.eventTime, 'after'),
  ]);
  const series: (StoredReading & { sk?: unknown })[] = [...(previous === undefined ? [] : [previous]), ...within, ...(next === undefined ? [] : [next])];
  const snapshots: Record<string, unknown>[] = [];
  series.forEach((current, i) => {
    const before = i === 0 ? undefined : series[i - 1];
    // Only snapshots whose reading or predecessor is new change; the first of the series has a stored predecessor or none.
    if (!byTime.has(current.eventTime) && (before === undefined || !byTime.has(before.eventTime))) return;
    // With no reading before it, no writer can have computed a snapshot for it: nothing to replace.
    if (before === undefined) return;
    const speeds = speedsBetween(before, current);
    const key = snapshotKey(first.mac, current.eventTime);
    snapshots.push(
      speeds === undefined
        ? { ...key, from_time: before.eventTime, [NO_SPEEDS]: true }
        : { ...key, from_time: before.eventTime, time_stamp: current.eventTime, ...speeds, active_connection: current.operStatus === 'up' },
    );
  });
  await forEachLimited(snapshots, PARALLEL_SNAPSHOTS, (snapshot) => putSnapshot(table, snapshot));
}

/**
 * A snapshot replaces what is stored only if it was computed from a predecessor at least as
 * near (from_time): two writers of one interface at once may read its neighbours before and
 * after a reading between them lands, and the one that read the older neighbour must not
 * write last. Readings are only ever added, so the nearest predecessor any writer saw is the
 * true one. Snapshots written before from_time existed are replaced as before.
 */
async function putSnapshot(table: string, snapshot: Record<string, unknown>): Promise<void> {
  try {
    await documentClient().send(
      new PutCommand({
        TableName: table,
        Item: snapshot,
        ConditionExpression: 'attribute_not_exists(sk) OR attribute_not_exists(from_time) OR from_time <= :from',
        ExpressionAttributeValues: { ':from': snapshot.from_time },
      }),
    );
  } catch (error) {
    // Computed from a nearer predecessor already: that one stays.
    if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
  }
}

function storedReading(reading: InterfaceReading): StoredReading {
  return {
    eventTime: reading.eventTime,
    discontinuityTime: reading.discontinuityTime,
    inOctets: reading.inOctets,
    outOctets: reading.outOctets,
    operStatus: reading.operStatus,
  };
}

async function neighbour(table: string, pk: string, eventTime: string, side: 'before' | 'after'): Promise<StoredReading | undefined> {
  const bound = side === 'before' ? { before: eventTime, descending: true } : { after: eventTime };
  return (await queryPage(table, pk, { ...bound, limit: 1, consistent: true })).items[0] as StoredReading | undefined;
}

/** The stored readings from `from` to `to`, both included, in time order. */
async function readingsBetween(table: string, pk: string, from: string, to: string): Promise<StoredReading[]> {
  return (await queryPartition(table, pk, { between: [from, to], consistent: true })) as unknown as StoredReading[];
}

/** What the interface item keeps of its latest reading beside the statistics: the counters a speed is computed from, and when it was written. */
type LatestReading = StoredReading & { written_at: number };

/**
 * Moves the interface's latest statistics to this reading if it is newer. Answers whether it
 * was, and the reading it replaced when the item kept one (items written before it did keep
 * only the statistics).
 */
async function advanceLatest(table: string, reading: InterfaceReading): Promise<{ isLatest: boolean; replaced?: LatestReading }> {
  const latest: LatestReading = { ...storedReading(reading), written_at: Date.now() };
  try {
    const { Attributes } = await documentClient().send(
      new UpdateCommand({
        TableName: table,
        Key: interfaceKey(reading.mac, reading.name),
        UpdateExpression: 'SET eventTime = :t, statistics = :s, latest_reading = :r',
        ConditionExpression: 'attribute_not_exists(eventTime) OR eventTime < :t',
        ExpressionAttributeValues: { ':t': reading.eventTime, ':s': reading.statistics, ':r': latest },
        ReturnValues: 'UPDATED_OLD',
      }),
    );
    return { isLatest: true, replaced: Attributes?.latest_reading as LatestReading | undefined };
  } catch (error) {
    // A newer reading (or this one, redelivered) is already the latest: it stays.
    if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    return { isLatest: false };
  }
}

/**
 * The stored reading before a batch of one that became the latest: the latest it replaced,
 * when that is still in the series (written within its retention, a day kept in hand for the
 * clock), with no read. None (read it) otherwise.
 *
 * The replaced reading is the nearest before this one unless another writer put a reading
 * between them that has not become the latest yet. That writer's reading then can no longer
 * become the latest, so it reads the reading after its own (this one) and writes this one's
 * snapshot from its own, the nearer predecessor, which putSnapshot keeps.
 */
function replacedPredecessor(replaced: LatestReading | undefined, now = Date.now()): StoredReading | undefined {
  if (replaced === undefined || !(Number(replaced.written_at) > now - (READING_RETENTION_SECONDS - 86_400) * 1000)) return undefined;
  const { written_at: _writtenAt, ...reading } = replaced;
  return reading;
}
