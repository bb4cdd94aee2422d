import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../shared/dynamodb-client.ts';
import { interfaceKey, readingPartition, snapshotKey } from './storage.ts';

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
 * Records readings so that the result does not depend on the order they arrive in: each
 * reading is kept in its interface's series, and the snapshots at it and at the reading
 * after it are computed from their neighbours in time. A late reading thus fills its gap
 * and corrects its successor; a redelivered one recomputes the same values. The
 * interface's latest statistics move only forward.
 */
export async function recordInterfaceReadings(table: string, readings: readonly InterfaceReading[]): Promise<void> {
  for (const reading of readings) {
    const pk = readingPartition(reading.mac, reading.name);
    const stored: StoredReading = {
      eventTime: reading.eventTime,
      discontinuityTime: reading.discontinuityTime,
      inOctets: reading.inOctets,
      outOctets: reading.outOctets,
      operStatus: reading.operStatus,
    };
    await documentClient().send(
      new PutCommand({ TableName: table, Item: { pk, sk: reading.eventTime, ...stored, expires_at: Math.floor(Date.now() / 1000) + READING_RETENTION_SECONDS } }),
    );
    const [previous, next] = await Promise.all([neighbour(table, pk, reading.eventTime, 'before'), neighbour(table, pk, reading.eventTime, 'after')]);
    await writeSnapshot(table, reading.mac, previous, stored);
    if (next !== undefined) await writeSnapshot(table, reading.mac, stored, next);
    await advanceLatest(table, reading);
  }
}

async function neighbour(table: string, pk: string, eventTime: string, side: 'before' | 'after'): Promise<StoredReading | undefined> {
  const page = await documentClient().send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: side === 'before' ? 'pk = :pk AND sk < :t' : 'pk = :pk AND sk > :t',
      ExpressionAttributeValues: { ':pk': pk, ':t': eventTime },
      ScanIndexForward: side === 'after',
      Limit: 1,
      ConsistentRead: true,
    }),
  );
  return page.Items?.[0] as StoredReading | undefined;
}

async function writeSnapshot(table: string, mac: string, previous: StoredReading | undefined, current: StoredReading): Promise<void> {
  const key = snapshotKey(mac, current.eventTime);
  const speeds = speedsBetween(previous, current);
  if (speeds === undefined) {
    await documentClient().send(new DeleteCommand({ TableName: table, Key: key }));
    return;
  }
  await documentClient().send(
    new PutCommand({ TableName: table, Item: { ...key, time_stamp: current.eventTime, ...speeds, active_connection: current.operStatus === 'up' } }),
  );
}

async function advanceLatest(table: string, reading: InterfaceReading): Promise<void> {
  try {
    await documentClient().send(
      new UpdateCommand({
        TableName: table,
        Key: interfaceKey(reading.mac, reading.name),
        UpdateExpression: 'SET eventTime = :t, statistics = :s',
        ConditionExpression: 'attribute_not_exists(eventTime) OR eventTime < :t',
        ExpressionAttributeValues: { ':t': reading.eventTime, ':s': reading.statistics },
      }),
    );
  } catch (error) {
    // A newer reading is already the latest: it stays.
    if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
  }
}
