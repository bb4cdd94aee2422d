import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { parseEnvelope } from '../shared/envelope.ts';
import type { IdempotentUnit } from '../shared/exactly-once.ts';
import { PoisonMessageError } from '../shared/sqs-batch.ts';
import { writeUnits } from '../shared/unit-writer.ts';
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
  return writeUnits(event, (record) => readUnit(record.body, config.flowsTable, config.shards), {
    markerTable: config.idempotencyTable,
    ...config.deadLetters,
  });
}

function readUnit(body: string, table: string, shards: number): IdempotentUnit {
  try {
    const envelope = parseEnvelope(body, 'flows');
    return flowUnit(envelope, parseFlowRecords(envelope.records), table, shards);
  } catch (error) {
    throw new PoisonMessageError(`not a valid flows message: ${(error as Error).message}`);
  }
}
