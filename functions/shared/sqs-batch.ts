import type { SQSBatchItemFailure, SQSRecord } from 'aws-lambda';

/** Logs why a message could not be stored; the queue's redrive policy takes it from there. */
export function reportFailure(record: SQSRecord, reason: unknown): SQSBatchItemFailure {
  console.error(
    JSON.stringify({
      level: 'error',
      message: 'message not stored; it returns to the queue and reaches the DLQ after maxReceiveCount',
      messageId: record.messageId,
      receiveCount: record.attributes?.ApproximateReceiveCount,
      reason: reason instanceof Error ? reason.message : String(reason),
    }),
  );
  return { itemIdentifier: record.messageId };
}
