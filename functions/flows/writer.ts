import type { SQSEvent } from 'aws-lambda';
import { lambdaHandler } from '../shared/lambda-handler.ts';
import { parseEnvelope } from '../shared/queue-envelope.ts';
import { applyExactlyOnce, type IdempotentUnit } from '../shared/exactly-once.ts';
import { writeMessages } from '../shared/message-writer.ts';
import { PoisonMessageError } from '../shared/sqs-batch.ts';
import { flowsConfig } from './config.ts';
import { parseFlowRecords } from './flow-schema.ts';
import { flowUnit } from './storage.ts';

/**
 * Adds a batch of flow messages to the hourly sums: each message pre-aggregated to one
 * update per distinct key, applied exactly once under its ingest id (the same mechanism
 * as the packet counts), many messages per transaction.
 */
export const handler = lambdaHandler(async (event: SQSEvent) => {
  const config = flowsConfig();
  return writeMessages<{ unit: IdempotentUnit }>(
    event,
    {
      read: (record) => readUnit(record.body, config.flowsTable, config.shards),
      store: (messages) => applyExactlyOnce(messages.map((m) => m.unit), { markerTable: config.idempotencyTable }).then(() => undefined),
    },
    { ...config.deadLetters, writer: 'flows' },
  );
});

function readUnit(body: string, table: string, shards: number): { ingestId: string; receivedAt: number; unit: IdempotentUnit } {
  try {
    const envelope = parseEnvelope(body, 'flows');
    return { ingestId: envelope.ingestId, receivedAt: envelope.receivedAt, unit: flowUnit(envelope, parseFlowRecords(envelope.records), table, shards) };
  } catch (error) {
    throw new PoisonMessageError(`not a valid flows message: ${(error as Error).message}`);
  }
}
