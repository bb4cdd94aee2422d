import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { putAll } from '../shared/batch-writer.ts';
import { parseEnvelope, type Envelope } from '../shared/envelope.ts';
import { applyExactlyOnce } from '../shared/exactly-once.ts';
import { PoisonMessageError, settleFailures, type FailedMessage } from '../shared/sqs-batch.ts';
import { recordInterfaceReadings } from '../devices/interfaces.ts';
import { sighting } from '../devices/updates.ts';
import { notificationsConfig } from './config.ts';
import type { NormalizedNotification } from './notification.ts';
import { deviceReadings, notificationItems } from './storage.ts';

/**
 * Stores notifications: history and per-interface series with idempotent puts (with a
 * TTL), then what device views read: each device interface's latest statistics and the
 * snapshot its counters give since the previous reading.
 */
export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const config = notificationsConfig();
  const expiresAt = Math.floor(Date.now() / 1000) + config.retentionDays * 86_400;
  const failed: FailedMessage[] = [];
  // One at a time: consecutive readings of an interface must be compared in order.
  for (const record of event.Records) {
    try {
      const { envelope, notifications } = readMessage(record.body);
      await putAll(config.notificationsTable, notifications.flatMap((n, i) => notificationItems(envelope, n, i, config.shards, expiresAt)));
      const readings = notifications.flatMap(deviceReadings);
      if (readings.length > 0) {
        await recordInterfaceReadings(config.devicesTable, readings);
        const updates = readings.flatMap((r) => sighting(config.devicesTable, r.mac, r.eventTime));
        await applyExactlyOnce([{ id: `notifications#${envelope.ingestId}`, updates }], { markerTable: config.idempotencyTable });
      }
    } catch (error) {
      failed.push({ record, error });
    }
  }
  return { batchItemFailures: await settleFailures(failed, config.deadLetters) };
}

function readMessage(body: string): { envelope: Envelope; notifications: NormalizedNotification[] } {
  try {
    const envelope = parseEnvelope(body, 'notifications');
    const notifications = envelope.records as NormalizedNotification[];
    if (!notifications.every((n) => typeof n?.eventTime === 'string')) throw new Error('a record without eventTime');
    return { envelope, notifications };
  } catch (error) {
    throw new PoisonMessageError(`not a valid notifications message: ${(error as Error).message}`);
  }
}
