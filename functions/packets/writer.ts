import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { putAll } from '../shared/batch-writer.ts';
import { parseEnvelope } from '../shared/envelope.ts';
import { applyExactlyOnce, type IdempotentUnit } from '../shared/exactly-once.ts';
import { reportFailure } from '../shared/sqs-batch.ts';
import { packetsConfig } from './config.ts';
import { parsePackets } from './packet-schema.ts';
import { countUnit, layerItems } from './storage.ts';

/**
 * Stores a batch of packet messages: first every layer item (idempotent puts), then one
 * exactly-once transaction set for the batch's counters. A crash between the two leaves
 * items without counts; the redelivered message rewrites the items and counts them once.
 */
export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const config = packetsConfig();
  const failures: SQSBatchItemFailure[] = [];
  const stored: { record: SQSRecord; unit: IdempotentUnit }[] = [];

  await Promise.all(
    event.Records.map(async (record) => {
      try {
        const envelope = parseEnvelope(record.body, 'packets');
        const packets = parsePackets(envelope.records);
        await putAll(config.packetsTable, layerItems(envelope, packets, config.packetShards));
        stored.push({ record, unit: countUnit(envelope, packets, config.countsTable, config.counterShards) });
      } catch (error) {
        failures.push(reportFailure(record, error));
      }
    }),
  );

  try {
    await applyExactlyOnce(
      stored.map((s) => s.unit),
      { markerTable: config.idempotencyTable },
    );
  } catch (error) {
    for (const { record } of stored) failures.push(reportFailure(record, error));
  }
  return { batchItemFailures: failures };
}
