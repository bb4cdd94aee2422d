import {
  ChangeMessageVisibilityBatchCommand,
  SendMessageBatchCommand,
  type MessageAttributeValue,
  type SendMessageBatchRequestEntry,
} from '@aws-sdk/client-sqs';
import type { SQSBatchItemFailure, SQSRecord } from 'aws-lambda';
import { logger, recordDeadLettered, recordRequeued } from './observability.ts';
import { receivedAtOf } from './queue-envelope.ts';
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
 * made visible again at once rather than after the queue's visibility timeout (minutes),
 * and near the queue's maxReceiveCount it is sent again as a new message, or to the DLQ
 * once older than the queue keeps a message (settleFailures).
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
  /** When its records were received (epoch ms), from its envelope when the writer read it. */
  receivedAt?: number;
}

export interface DeadLetterOptions {
  /** The writer's name in logs and metrics. */
  writer?: string;
  deadLetterQueueUrl?: string;
  /** The queue's maxReceiveCount: on that receive a failing message goes to the DLQ here, with its reason. */
  maxReceiveCount?: number;
  /**
   * The queue the messages came from (a standard queue), where those not tried
   * (TimeBudgetError) are made visible again at once, or sent again near maxReceiveCount.
   */
  queueUrl?: string;
}

const MAX_REASON_LENGTH = 1000;

/** How long the source queues keep a message (their MessageRetentionPeriod in serverless.yml). */
export const SOURCE_QUEUE_RETENTION_SECONDS = 4 * 24 * 3600;

/**
 * Settles the messages a writer could not store. A poison message, or one failing on its
 * last receive, is moved to the DLQ by the writer itself with its reason attached (the
 * queue's redrive policy would move it without one) and counts as handled; the rest are
 * batch item failures and return to the queue after their visibility timeout. If the DLQ
 * cannot be reached they stay batch item failures, so nothing is ever dropped.
 *
 * A message not tried (TimeBudgetError) is not dead-lettered for its receives: every hand-back
 * spends one of them, so under a backlog the tail of each batch would otherwise
 * reach maxReceiveCount untried. Below maxReceiveCount - 1 receives it is made visible again
 * at once; from then on it is sent to its queue again as a new message (same body, so same
 * ingest id and receipt time: storing it twice counts once, and the writer lag still runs
 * from its first receipt) and counts as handled, so that SQS deletes the old one. If that
 * send fails it stays a batch item failure. Each copy is a new message that the queue would
 * keep for its whole retention again, so a message is sent again only while its records were
 * received less than SOURCE_QUEUE_RETENTION_SECONDS ago, as long as the queue keeps any; an
 * older one goes to the DLQ with its reason (an alarm, and `npm run redrive` once writers keep
 * up), not round its queue without end.
 */
export async function settleFailures(failed: readonly FailedMessage[], options: DeadLetterOptions, now = Date.now()): Promise<SQSBatchItemFailure[]> {
  const toDlq: FailedMessage[] = [];
  const sendAgain: FailedMessage[] = [];
  const release: FailedMessage[] = [];
  const retry: FailedMessage[] = [];
  for (const failure of failed) {
    const receives = Number(failure.record.attributes?.ApproximateReceiveCount ?? 1);
    if (failure.error instanceof TimeBudgetError) {
      const nearLast = options.maxReceiveCount !== undefined && receives >= options.maxReceiveCount - 1;
      const overdue = untriedPastRetention(failure, now);
      // A FIFO queue would put the copy behind the rest of its group (or drop it as a duplicate): released there.
      if (options.queueUrl === undefined) retry.push(failure);
      else if (!nearLast || options.queueUrl.endsWith('.fifo')) release.push(failure);
      else if (overdue === undefined) sendAgain.push(failure);
      else if (options.deadLetterQueueUrl !== undefined) toDlq.push(overdue);
      else release.push(failure);
      continue;
    }
    const lastChance = options.maxReceiveCount !== undefined && receives >= options.maxReceiveCount;
    const poison = isPermanentFailure(failure.error);
    (options.deadLetterQueueUrl !== undefined && (poison || lastChance) ? toDlq : retry).push(failure);
  }
  const writer = options.writer ?? 'writer';
  const [unsent, notSentAgain] = await Promise.all([
    sendToDeadLetterQueue(toDlq, options.deadLetterQueueUrl as string, writer),
    sendToQueueAgain(sendAgain, options.queueUrl as string, writer),
    releaseAtOnce(release, options.queueUrl as string),
  ]);
  return [...retry, ...release, ...notSentAgain, ...unsent].map((failure) => {
    log('error', 'message not stored; it returns to the queue', failure);
    return { itemIdentifier: failure.record.messageId };
  });
}

/** A message not tried whose records were received longer than its queue keeps a message ago, with that as its reason. */
function untriedPastRetention(failure: FailedMessage, now: number): FailedMessage | undefined {
  const receivedAt = failure.receivedAt ?? receivedAtOf(failure.record.body);
  if (receivedAt === undefined || now - receivedAt < SOURCE_QUEUE_RETENTION_SECONDS * 1000) return undefined;
  const days = SOURCE_QUEUE_RETENTION_SECONDS / 86_400;
  const reason = `not tried within the ${days} days its queue keeps a message (received ${new Date(receivedAt).toISOString()}): ${(failure.error as Error).message}`;
  return { ...failure, error: new TimeBudgetError(reason) };
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

/**
 * Messages not tried, sent to their queue again as new messages: body, message attributes and
 * message group (a fair queue's) as they came. Copies of one message in the batch go once.
 * Answers those not sent.
 */
async function sendToQueueAgain(failures: FailedMessage[], queueUrl: string, writer: string): Promise<FailedMessage[]> {
  // Copies of one message (SQS delivers at least once) share a body: each message goes once.
  const copies = Map.groupBy(failures, (failure) => failure.record.body);
  const unsent = await sendInBatches(
    queueUrl,
    [...copies.values()].map((same) => {
      const { record } = same[0] as FailedMessage;
      const groupId = record.attributes?.MessageGroupId;
      return { item: same, entry: { MessageBody: record.body, MessageAttributes: attributesOf(record), ...(groupId ? { MessageGroupId: groupId } : {}) } };
    }),
  );
  const sent = [...copies.values()].filter((same) => !unsent.includes(same));
  for (const failure of sent.flat()) log('warn', 'message not tried near its last receive; sent to its queue again as a new message', failure);
  recordRequeued(writer, sent.length);
  if (unsent.length > 0) logger.warn('messages not tried could not be sent to their queue again; they return after the visibility timeout', { count: unsent.flat().length });
  return unsent.flat();
}

/** Copies of one message in a batch (same body) go to the DLQ once, with the first copy's reason. */
async function sendToDeadLetterQueue(failures: FailedMessage[], queueUrl: string, writer: string): Promise<FailedMessage[]> {
  // Copies of one message (SQS delivers at least once) share a body: each message goes once.
  const copies = Map.groupBy(failures, (failure) => failure.record.body);
  const unsent = await sendInBatches(
    queueUrl,
    [...copies.values()].map((same) => {
      const failure = same[0] as FailedMessage;
      return {
        item: same,
        entry: {
          MessageBody: failure.record.body,
          MessageAttributes: {
            reason: { DataType: 'String', StringValue: reasonOf(failure.error).slice(0, MAX_REASON_LENGTH) || 'unknown' },
            sourceQueue: { DataType: 'String', StringValue: failure.record.eventSourceARN || 'unknown' },
            receiveCount: { DataType: 'Number', StringValue: String(failure.record.attributes?.ApproximateReceiveCount ?? 1) },
          },
        },
      };
    }),
  );
  for (const same of copies.values()) {
    if (unsent.includes(same)) continue;
    const [first] = same as [FailedMessage];
    for (const failure of same) log('warn', 'message moved to the dead-letter queue', failure);
    recordDeadLettered(writer, first.error instanceof Error ? first.error.name : 'unknown');
  }
  return unsent.flat();
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

/** A record's message attributes (as Lambda gives them) as SendMessage takes them. */
function attributesOf(record: SQSRecord): Record<string, MessageAttributeValue> | undefined {
  const entries = Object.entries(record.messageAttributes ?? {}).map(([name, value]) => {
    const attribute: MessageAttributeValue = { DataType: value.dataType };
    if (value.stringValue !== undefined) attribute.StringValue = value.stringValue;
    else if (value.binaryValue !== undefined) attribute.BinaryValue = Buffer.from(value.binaryValue, 'base64');
    return [name, attribute] as const;
  });
  return entries.length === 0 ? undefined : Object.fromEntries(entries);
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
