import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../shared/aws-clients.ts';
import { interfaceKey, snapshotKey } from './storage.ts';

/** What a device keeps of an interface's last reading, to turn the next one into speeds. */
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

/**
 * Records readings in eventTime order per interface: a snapshot from the speeds since the
 * stored reading, then the reading becomes the stored one, only if it is newer. A
 * redelivered reading finds itself stored and adds nothing; a crash between the two
 * writes repeats the same snapshot put.
 */
export async function recordInterfaceReadings(table: string, readings: readonly InterfaceReading[]): Promise<void> {
  const sorted = [...readings].sort((a, b) => Date.parse(a.eventTime) - Date.parse(b.eventTime));
  for (const reading of sorted) {
    const key = interfaceKey(reading.mac, reading.name);
    const stored = (await documentClient().send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item as
      | (CounterReading & Record<string, unknown>)
      | undefined;
    if (stored !== undefined && Date.parse(stored.eventTime) >= Date.parse(reading.eventTime)) continue;
    const speeds = speedsBetween(stored, reading);
    if (speeds !== undefined) {
      await documentClient().send(
        new PutCommand({
          TableName: table,
          Item: { ...snapshotKey(reading.mac, reading.eventTime), time_stamp: reading.eventTime, ...speeds, active_connection: reading.operStatus === 'up' },
        }),
      );
    }
    try {
      await documentClient().send(
        new UpdateCommand({
          TableName: table,
          Key: key,
          UpdateExpression: 'SET eventTime = :t, discontinuityTime = :d, inOctets = :i, outOctets = :o, statistics = :s',
          ConditionExpression: 'attribute_not_exists(eventTime) OR eventTime < :t',
          ExpressionAttributeValues: {
            ':t': reading.eventTime,
            ':d': reading.discontinuityTime,
            ':i': reading.inOctets,
            ':o': reading.outOctets,
            ':s': reading.statistics,
          },
        }),
      );
    } catch (error) {
      // Another writer stored a newer reading meanwhile: that one stays.
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    }
  }
}
