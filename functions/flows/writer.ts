import type { Context, SQSEvent } from 'aws-lambda';
import { lambdaHandler } from '../shared/lambda-handler.ts';
import { invocationDeadline } from '../shared/deadline.ts';
import { storeWithinTime } from '../shared/time-budget.ts';
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
 * What a delta item is taken to cost before a chunk has measured one: about twice the
 * slowest seen on 2 cores (BatchWriteItem of 25 deltas, 8 in flight). Unthrottled, a batch
 * is one chunk; a throttled table slows every put, and the batch stores what its time covers.
 */
const ASSUMED_DELTA_MS = 2;

type FlowsMessage = { ingestId: string; receivedAt: number; deltas: FlowDelta[] };

/**
 * Stores a batch of flow messages as pending sums: each message summed per (hour, key) into
 * a few delta items per hour shard (storage.ts), put idempotently, so a redelivered message
 * puts the same items again and nothing is counted twice. Readers see a delta as soon as it
 * is put; the folder moves it into the hour's sums later. A chunk of the batch at a time:
 * what the time left does not cover returns to the queue at once (storeWithinTime).
 */
export const handler = lambdaHandler(async (event: SQSEvent, context?: Context) => {
  const config = flowsConfig();
  return writeMessages<FlowsMessage>(
    event,
    {
      read: (record) => readDeltas(record.body, config.shards),
      store: storeWithinTime<FlowsMessage>({
        deadline: invocationDeadline(context),
        workOf: (m) => m.deltas.length,
        assumedUnitMs: ASSUMED_DELTA_MS,
        storeChunk: (chunk) => putAll(config.flowsTable, chunk.flatMap((m) => m.deltas), PARALLEL_PUTS),
      }),
    },
    { ...config.deadLetters, writer: 'flows' },
  );
});

function readDeltas(body: string, shards: number): FlowsMessage {
  try {
    const envelope = parseEnvelope(body, 'flows');
    return { ingestId: envelope.ingestId, receivedAt: envelope.receivedAt, deltas: flowDeltas(envelope, parseFlowRecords(envelope.records), shards) };
  } catch (error) {
    throw new PoisonMessageError(`not a valid flows message: ${(error as Error).message}`);
  }
}
