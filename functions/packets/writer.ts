import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { forEachLimited, putAll } from '../shared/batch-writer.ts';
import { parseEnvelope } from '../shared/envelope.ts';
import { applyExactlyOnce, mergeUpdates, type IdempotentUnit } from '../shared/exactly-once.ts';
import { PoisonMessageError, settleFailures, type FailedMessage } from '../shared/sqs-batch.ts';
import type { Envelope } from '../shared/envelope.ts';
import type { Packet } from './packet-schema.ts';
import { packetsConfig } from './config.ts';
import { parsePackets } from './packet-schema.ts';
import { countUnit, layerItems, packetTimestamp } from './storage.ts';
import { packetDeviceUpdates } from '../devices/updates.ts';

const PARALLEL_MESSAGES = 4;

/**
 * Stores a batch of packet messages: first every layer item (idempotent puts), then one
 * exactly-once transaction set for the batch's counters and device sightings. A crash between the two leaves
 * items without counts; the redelivered message rewrites the items and counts them once.
 */
export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const config = packetsConfig();
  const failed: FailedMessage[] = [];
  const stored: { record: SQSRecord; unit: IdempotentUnit }[] = [];

  // A few messages at a time: each already writes in parallel, and a 6 MB batch all at
  // once would hold every message's items in memory together.
  await forEachLimited(event.Records, PARALLEL_MESSAGES, async (record) => {
    try {
      const { envelope, packets } = readMessage(record.body);
      await putAll(config.packetsTable, layerItems(envelope, packets, config.packetShards));
      const unit = countUnit(envelope, packets, config.countsTable, config.counterShards);
      // Packets feed devices too, under the same exactly-once guard as the counts.
      const sightings = packets.map((packet) => ({ packet, timestamp: packetTimestamp(packet, envelope.receivedAt) }));
      unit.updates = mergeUpdates([...unit.updates, ...packetDeviceUpdates(config.devicesTable, sightings)]);
      stored.push({ record, unit });
    } catch (error) {
      failed.push({ record, error });
    }
  });

  try {
    await applyExactlyOnce(
      stored.map((s) => s.unit),
      { markerTable: config.idempotencyTable },
    );
  } catch (error) {
    for (const { record } of stored) failed.push({ record, error });
  }
  return { batchItemFailures: await settleFailures(failed, config.deadLetters) };
}

function readMessage(body: string): { envelope: Envelope; packets: Packet[] } {
  try {
    const envelope = parseEnvelope(body, 'packets');
    return { envelope, packets: parsePackets(envelope.records) };
  } catch (error) {
    throw new PoisonMessageError(`not a valid packets message: ${(error as Error).message}`);
  }
}
