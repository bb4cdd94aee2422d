import { SendMessageBatchCommand, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import { logger } from './observability.ts';
import { sqsClient } from './sqs-client.ts';
import { serviceUnavailable } from './errors.ts';
import { integerEnv } from './env.ts';
import { DEFAULT_MAX_MESSAGE_BYTES, packRecords, type Envelope, type PackedMessage } from './queue-envelope.ts';
import { backoffDelay, sleep } from './retry.ts';

const MAX_ENTRIES_PER_BATCH = 10;
const SEND_ATTEMPTS = 4;

/**
 * Validated records onto a queue: packed into envelopes, sent with SendMessageBatch,
 * per-entry failures retried. Throws a 503 HttpError when the queue cannot take them.
 */
export async function publishRecords(
  queueUrl: string,
  kind: string,
  records: readonly unknown[],
  options: { idempotencyKey?: string; receivedAt?: number; origin?: Envelope['origin'] } = {},
): Promise<PackedMessage[]> {
  const messages = packRecords(kind, records, {
    maxBytes: integerEnv('SQS_MAX_MESSAGE_BYTES', DEFAULT_MAX_MESSAGE_BYTES),
    idempotencyKey: options.idempotencyKey,
    receivedAt: options.receivedAt,
    origin: options.origin,
  });
  const batches = groupIntoBatches(messages, integerEnv('SQS_MAX_BATCH_BYTES', 1_048_576));
  await Promise.all(batches.map((batch) => sendBatch(queueUrl, batch)));
  return messages;
}

function groupIntoBatches(messages: PackedMessage[], maxBatchBytes: number): PackedMessage[][] {
  const batches: PackedMessage[][] = [];
  let current: PackedMessage[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = Buffer.byteLength(message.body);
    if (current.length === MAX_ENTRIES_PER_BATCH || (current.length > 0 && bytes + size > maxBatchBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

async function sendBatch(queueUrl: string, batch: PackedMessage[]): Promise<void> {
  let pending: SendMessageBatchRequestEntry[] = batch.map((m, i) => ({ Id: String(i), MessageBody: m.body }));
  let lastReason = '';
  for (let attempt = 0; attempt < SEND_ATTEMPTS && pending.length > 0; attempt++) {
    if (attempt > 0) await sleep(backoffDelay(attempt));
    try {
      const result = await sqsClient().send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }));
      const failed = new Set((result.Failed ?? []).map((f) => f.Id));
      lastReason = (result.Failed ?? []).map((f) => `${f.Code}: ${f.Message ?? ''}`).join('; ');
      pending = pending.filter((entry) => failed.has(entry.Id));
    } catch (error) {
      lastReason = (error as Error).name ?? String(error);
    }
  }
  if (pending.length > 0) {
    logger.error('queue unavailable', { queueUrl, unsent: pending.length, reason: lastReason });
    throw serviceUnavailable('the queue is unavailable right now; retry later');
  }
}
