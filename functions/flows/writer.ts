import type { SQSEvent } from 'aws-lambda';
import { lambdaHandler } from '../shared/lambda-handler.ts';
import { putAll } from '../shared/batch-writer.ts';
import { parseEnvelope } from '../shared/queue-envelope.ts';
import { writeMessages } from '../shared/message-writer.ts';
import { PoisonMessageError } from '../shared/sqs-batch.ts';
import { flowsConfig } from './config.ts';
import { parseFlowRecords } from './flow-schema.ts';
import { flowDeltas, type FlowDelta } from './storage.ts';

/** BatchWriteItem requests in flight: a batch's deltas are few and large. */
const PARALLEL_PUTS = 8;

/**
 * Stores a batch of flow messages as pending sums: each message summed per (hour, key) into
 * a few delta items per hour shard (storage.ts), put idempotently, so a redelivered message
 * puts the same items again and nothing is counted twice. Readers see a delta as soon as it
 * is put; the folder moves it into the hour's sums later.
 */
export const handler = lambdaHandler(async (event: SQSEvent) => {
  const config = flowsConfig();
  return writeMessages<{ deltas: FlowDelta[] }>(
    event,
    {
      read: (record) => readDeltas(record.body, config.shards),
      store: (messages) => putAll(config.flowsTable, messages.flatMap((m) => m.deltas), PARALLEL_PUTS),
    },
    { ...config.deadLetters, writer: 'flows' },
  );
});

function readDeltas(body: string, shards: number): { ingestId: string; receivedAt: number; deltas: FlowDelta[] } {
  try {
    const envelope = parseEnvelope(body, 'flows');
    return { ingestId: envelope.ingestId, receivedAt: envelope.receivedAt, deltas: flowDeltas(envelope, parseFlowRecords(envelope.records), shards) };
  } catch (error) {
    throw new PoisonMessageError(`not a valid flows message: ${(error as Error).message}`);
  }
}
