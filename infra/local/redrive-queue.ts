import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { MARKER_TTL_SECONDS } from '../../functions/shared/exactly-once.ts';
import { groupIntoBatches } from '../../functions/shared/queue-publisher.ts';

/**
 * The oldest a dead letter may be to go back: its markers, written when it was first
 * stored, outlive its receipt by MARKER_TTL_SECONDS, less a day for the queue it returns to.
 */
export const MAX_REDRIVE_AGE_MS = (MARKER_TTL_SECONDS - 24 * 3600) * 1000;

/** What a redrive did: messages moved back, and those held back as too old (left in the DLQ). */
export interface Redrive {
  moved: number;
  tooOld: number;
}

/** When the message's records were received, from its envelope; undefined if it has none. */
function receivedAtOf(body: string): number | undefined {
  const match = /"receivedAt":(\d+)/.exec(body.slice(0, 512));
  return match === null ? undefined : Number(match[1]);
}

/**
 * Moves messages from a dead-letter queue back to its source queue, body unchanged: the
 * ingest id inside the body, not the SQS message id, is what writers deduplicate on, so
 * a redriven message is stored once even if part of it was stored before.
 * Deletes from the DLQ only what the source queue accepted. Stops when the DLQ is empty
 * or `max` messages have moved. A message received longer than MAX_REDRIVE_AGE_MS ago stays
 * in the DLQ: what of it was stored may no longer have a marker to say so, and it would be
 * counted again.
 */
export async function redriveQueue(sqs: SQSClient, dlqUrl: string, queueUrl: string, max = 100_000, now = Date.now()): Promise<Redrive> {
  let moved = 0;
  const tooOld = new Set<string>();
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
    const young = Messages.filter((m) => {
      const receivedAt = receivedAtOf(m.Body ?? '');
      if (receivedAt === undefined || now - receivedAt <= MAX_REDRIVE_AGE_MS) return true;
      tooOld.add(m.MessageId ?? '');
      return false;
    });
    // Ten full dead letters are more than one SendMessageBatch takes (1 MiB): as many requests as needed.
    const done: Message[] = [];
    for (const batch of groupIntoBatches(young, (m) => Buffer.byteLength(m.Body ?? ''))) {
      const sent = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch.map((m, i) => ({ Id: String(i), MessageBody: m.Body ?? '' })) }));
      const failed = new Set((sent.Failed ?? []).map((f) => f.Id));
      done.push(...batch.filter((_, i) => !failed.has(String(i))));
    }
    if (done.length > 0) {
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: dlqUrl, Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }));
    }
    moved += done.length;
  }
  return { moved, tooOld: tooOld.size };
}
