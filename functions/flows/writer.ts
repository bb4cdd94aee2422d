import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { parseEnvelope } from '../shared/envelope.ts';
import { applyExactlyOnce, type IdempotentUnit } from '../shared/exactly-once.ts';
import { PoisonMessageError, settleFailures, type FailedMessage } from '../shared/sqs-batch.ts';
import { flowsConfig } from './config.ts';
import { parseFlowRecords } from './flow-schema.ts';
import { flowUnit } from './storage.ts';

/**
 * Adds a batch of flow messages to the hourly sums: each message pre-aggregated to one
 * update per distinct key, applied exactly once under its ingest id (the same mechanism
 * as the packet counts), many messages per transaction.
 */
export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const config = flowsConfig();
  const failed: FailedMessage[] = [];
  const units: { record: SQSRecord; unit: IdempotentUnit }[] = [];
  for (const record of event.Records) {
    try {
      units.push({ record, unit: readUnit(record.body, config.flowsTable, config.shards) });
    } catch (error) {
      failed.push({ record, error });
    }
  }
  try {
    await applyExactlyOnce(
      units.map((u) => u.unit),
      { markerTable: config.idempotencyTable },
    );
  } catch (error) {
    for (const { record } of units) failed.push({ record, error });
  }
  return { batchItemFailures: await settleFailures(failed, config.deadLetters) };
}

function readUnit(body: string, table: string, shards: number): IdempotentUnit {
  try {
    const envelope = parseEnvelope(body, 'flows');
    return flowUnit(envelope, parseFlowRecords(envelope.records), table, shards);
  } catch (error) {
    throw new PoisonMessageError(`not a valid flows message: ${(error as Error).message}`);
  }
}
