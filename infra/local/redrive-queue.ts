import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { groupIntoBatches } from '../../functions/shared/queue-publisher.ts';

/**
 * Moves messages from a dead-letter queue back to its source queue, body unchanged: the
 * ingest id inside the body, not the SQS message id, is what writers deduplicate on, so
 * a redriven message is stored once even if part of it was stored before.
 * Deletes from the DLQ only what the source queue accepted. Stops when the DLQ is empty
 * or `max` messages have moved.
 */
export async function redriveQueue(sqs: SQSClient, dlqUrl: string, queueUrl: string, max = 100_000): Promise<number> {
  let moved = 0;
  let emptyReceives = 0;
  while (moved < max && emptyReceives < 2) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: Math.min(10, max - moved), WaitTimeSeconds: 1, VisibilityTimeout: 30 }),
    );
    if (Messages.length === 0) {
      emptyReceives++;
      continue;
    }
    emptyReceives = 0;
    // Ten full dead letters are more than one SendMessageBatch takes (1 MiB): as many requests as needed.
    const done: Message[] = [];
    for (const batch of groupIntoBatches(Messages, (m) => Buffer.byteLength(m.Body ?? ''))) {
      const sent = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch.map((m, i) => ({ Id: String(i), MessageBody: m.Body ?? '' })) }));
      const failed = new Set((sent.Failed ?? []).map((f) => f.Id));
      done.push(...batch.filter((_, i) => !failed.has(String(i))));
    }
    if (done.length > 0) {
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: dlqUrl, Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }));
    }
    moved += done.length;
  }
  return moved;
}
