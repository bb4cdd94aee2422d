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
  const batches = groupIntoBatches(messages, (m) => Buffer.byteLength(m.body));
  await Promise.all(batches.map((batch) => sendBatch(queueUrl, batch)));
  return messages;
}

/** SendMessageBatch's limit on one request: its entries' bodies and message attributes together. */
export const maxBatchBytes = () => integerEnv('SQS_MAX_BATCH_BYTES', 1_048_576);

/**
 * What SQS counts of an entry against its limits (a message's and a batch's): the body, and
 * each message attribute's name, data type and value.
 */
export function entryBytes(entry: Pick<SendMessageBatchRequestEntry, 'MessageBody' | 'MessageAttributes'>): number {
  let bytes = Buffer.byteLength(entry.MessageBody ?? '');
  for (const [name, value] of Object.entries(entry.MessageAttributes ?? {})) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '');
    bytes += value.StringValue === undefined ? (value.BinaryValue?.byteLength ?? 0) : Buffer.byteLength(value.StringValue);
  }
  return bytes;
}

/**
 * Items in order, in groups that one SendMessageBatch takes: at most 10, whose sizes add up
 * to at most maxBytes (an item bigger than that alone goes alone, and fails alone).
 */
export function groupIntoBatches<T>(items: readonly T[], sizeOf: (item: T) => number, maxBytes = maxBatchBytes()): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (current.length === MAX_ENTRIES_PER_BATCH || (current.length > 0 && bytes + size > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
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
