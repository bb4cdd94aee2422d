import { ChangeMessageVisibilityBatchCommand, SendMessageBatchCommand, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import type { SQSBatchItemFailure, SQSRecord } from 'aws-lambda';
import { logger, recordDeadLettered } from './observability.ts';
import { entryBytes, groupIntoBatches } from './queue-publisher.ts';
import { sqsClient } from './sqs-client.ts';

/** A message that no retry can store (malformed, or records that fail validation). */
export class PoisonMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PoisonMessageError';
  }
}

/**
 * A message the writer did not try to store because its invocation's time ran short: it is
 * made visible again at once rather than after the queue's visibility timeout (minutes).
 */
export class TimeBudgetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TimeBudgetError';
  }
}

export interface FailedMessage {
  record: SQSRecord;
  error: unknown;
  /** The message's ingest id when known, so that its log lines can be joined to its request's. */
  ingestId?: string;
}

export interface DeadLetterOptions {
  /** The writer's name in logs and metrics. */
  writer?: string;
  deadLetterQueueUrl?: string;
  /** The queue's maxReceiveCount: on that receive a failing message goes to the DLQ here, with its reason. */
  maxReceiveCount?: number;
  /** The queue the messages came from, where those not tried (TimeBudgetError) are made visible again at once. */
  queueUrl?: string;
}

const MAX_REASON_LENGTH = 1000;

/**
 * Settles the messages a writer could not store. A poison message, or one failing on its
 * last receive, is moved to the DLQ by the writer itself with its reason attached (the
 * queue's redrive policy would move it without one) and counts as handled; the rest are
 * batch item failures and return to the queue after their visibility timeout. If the DLQ
 * cannot be reached they stay batch item failures, so nothing is ever dropped.
 */
export async function settleFailures(failed: readonly FailedMessage[], options: DeadLetterOptions): Promise<SQSBatchItemFailure[]> {
  const toDlq: FailedMessage[] = [];
  const retry: FailedMessage[] = [];
  for (const failure of failed) {
    const receives = Number(failure.record.attributes?.ApproximateReceiveCount ?? 1);
    const lastChance = options.maxReceiveCount !== undefined && receives >= options.maxReceiveCount;
    const poison = isPermanentFailure(failure.error);
    (options.deadLetterQueueUrl !== undefined && (poison || lastChance) ? toDlq : retry).push(failure);
  }
  const unsent = await sendToDeadLetterQueue(toDlq, options.deadLetterQueueUrl as string, options.writer ?? 'writer');
  if (options.queueUrl !== undefined) await releaseAtOnce(retry.filter((f) => f.error instanceof TimeBudgetError), options.queueUrl);
  return [...retry, ...unsent].map((failure) => {
    log('error', 'message not stored; it returns to the queue', failure);
    return { itemIdentifier: failure.record.messageId };
  });
}

/** Visibility 0 for messages not tried; if that fails they come back after the visibility timeout as usual. */
async function releaseAtOnce(failures: FailedMessage[], queueUrl: string): Promise<void> {
  for (let i = 0; i < failures.length; i += 10) {
    const chunk = failures.slice(i, i + 10);
    try {
      await sqsClient().send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map(({ record }, j) => ({ Id: String(j), ReceiptHandle: record.receiptHandle, VisibilityTimeout: 0 })),
        }),
      );
    } catch (error) {
      logger.warn('messages not tried could not be made visible again; they return after the visibility timeout', {
        count: chunk.length,
        messages: chunk.map(({ record, ingestId }) => ({ messageId: record.messageId, ingestId })),
        error: error as Error,
      });
    }
  }
}

async function sendToDeadLetterQueue(failures: FailedMessage[], queueUrl: string, writer: string): Promise<FailedMessage[]> {
  const unsent = await sendInBatches(
    queueUrl,
    failures.map((failure) => ({
      item: failure,
      entry: {
        MessageBody: failure.record.body,
        MessageAttributes: {
          reason: { DataType: 'String', StringValue: reasonOf(failure.error).slice(0, MAX_REASON_LENGTH) || 'unknown' },
          sourceQueue: { DataType: 'String', StringValue: failure.record.eventSourceARN || 'unknown' },
          receiveCount: { DataType: 'Number', StringValue: String(failure.record.attributes?.ApproximateReceiveCount ?? 1) },
        },
      },
    })),
  );
  for (const failure of failures) {
    if (unsent.includes(failure)) continue;
    log('warn', 'message moved to the dead-letter queue', failure);
    recordDeadLettered(writer, failure.error instanceof Error ? failure.error.name : 'unknown');
  }
  return unsent;
}

/**
 * Sends each entry once, in SendMessageBatch requests within SQS's limits (10
 * entries, 1 MiB of bodies and attributes: ten full bodies would be refused whole), all at
 * once, since the time left is short. Answers the items whose entry was not sent.
 */
async function sendInBatches<T>(queueUrl: string, entries: { item: T; entry: Omit<SendMessageBatchRequestEntry, 'Id'> }[]): Promise<T[]> {
  const batches = groupIntoBatches(entries, ({ entry }) => entryBytes(entry));
  const unsent = await Promise.all(
    batches.map(async (batch) => {
      try {
        const result = await sqsClient().send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch.map(({ entry }, j) => ({ ...entry, Id: String(j) })) }));
        const failedIds = new Set((result.Failed ?? []).map((f) => f.Id));
        return batch.filter((_, j) => failedIds.has(String(j))).map(({ item }) => item);
      } catch {
        return batch.map(({ item }) => item);
      }
    }),
  );
  return unsent.flat();
}

/**
 * Failures no retry can fix: a poison message, or one DynamoDB refuses as invalid (an item
 * over 400 KB, a key too long, a number out of range). They go to the DLQ at once.
 */
export function isPermanentFailure(error: unknown): boolean {
  if (error instanceof PoisonMessageError || error instanceof RangeError) return true;
  if (!(error instanceof Error)) return false;
  if (error.name === 'ValidationException') return true;
  const reasons = (error as Error & { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
  return error.name === 'TransactionCanceledException' && (reasons ?? []).some((r) => r.Code === 'ValidationError');
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function log(level: 'error' | 'warn', message: string, { record, error, ingestId }: FailedMessage): void {
  logger[level](message, { messageId: record.messageId, ingestId, receiveCount: record.attributes?.ApproximateReceiveCount, reason: reasonOf(error) });
}
