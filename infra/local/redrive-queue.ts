import { ChangeMessageVisibilityBatchCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { MARKER_TTL_SECONDS } from '../../functions/shared/exactly-once.ts';
import { groupIntoBatches } from '../../functions/shared/queue-publisher.ts';
import { receivedAtOf } from '../../functions/shared/queue-envelope.ts';
import { SOURCE_QUEUE_RETENTION_SECONDS } from '../../functions/shared/sqs-batch.ts';

/**
 * The oldest a dead letter may be to go back: its markers, written when it was first
 * stored, outlive its receipt by MARKER_TTL_SECONDS, and back on its queue it may wait as
 * long as the queue keeps it (and a day more, for clocks and a slow writer) before a
 * writer sees it again.
 */
export const MAX_REDRIVE_AGE_MS = (MARKER_TTL_SECONDS - SOURCE_QUEUE_RETENTION_SECONDS - 24 * 3600) * 1000;

/** How long a held-back dead letter stays out of sight while a redrive runs; it is made visible again at the end. */
const HELD_BACK_SECONDS = 15 * 60;

/** What a redrive did: messages moved back, and those held back as too old (left in the DLQ). */
export interface Redrive {
  moved: number;
  tooOld: number;
}

/**
 * Moves messages from a dead-letter queue back to its source queue, body unchanged: the
 * ingest id inside the body, not the SQS message id, is what writers deduplicate on, so
 * a redriven message is stored once even if part of it was stored before.
 * Deletes from the DLQ only what the source queue accepted. Stops when the DLQ is empty
 * or `max` messages have moved. A message received longer than MAX_REDRIVE_AGE_MS ago stays
 * in the DLQ: what of it was stored may no longer have a marker to say so, and it would be
 * counted again. Those are kept out of sight while the redrive runs, so that it ends, and made
 * visible again when it does; seeing one again (a run past HELD_BACK_SECONDS) ends it too.
 */
export async function redriveQueue(sqs: SQSClient, dlqUrl: string, queueUrl: string, max = 100_000, now = Date.now()): Promise<Redrive> {
  let moved = 0;
  const tooOld = new Map<string, string>();
  let emptyReceives = 0;
  let wentRound = false;
  try {
    while (moved < max && emptyReceives < 2 && !wentRound) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: Math.min(10, max - moved), WaitTimeSeconds: 1, VisibilityTimeout: 30 }),
      );
      if (Messages.length === 0) {
        emptyReceives++;
        continue;
      }
      emptyReceives = 0;
      const old = Messages.filter((m) => {
        const receivedAt = receivedAtOf(m.Body ?? '');
        return receivedAt !== undefined && now - receivedAt > MAX_REDRIVE_AGE_MS;
      });
      wentRound = old.some((m) => tooOld.has(m.MessageId ?? ''));
      for (const m of old) tooOld.set(m.MessageId ?? '', m.ReceiptHandle ?? '');
      await setVisibility(sqs, dlqUrl, old.map((m) => m.ReceiptHandle ?? ''), HELD_BACK_SECONDS);
      moved += await moveBack(sqs, dlqUrl, queueUrl, Messages.filter((m) => !old.includes(m)));
    }
  } finally {
    await setVisibility(sqs, dlqUrl, [...tooOld.values()], 0);
  }
  return { moved, tooOld: tooOld.size };
}

/** Sends these dead letters to the source queue and deletes from the DLQ those it accepted; answers how many. */
async function moveBack(sqs: SQSClient, dlqUrl: string, queueUrl: string, young: Message[]): Promise<number> {
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
  return done.length;
}

/** Best effort: a handle that lapsed meanwhile belongs to a message already visible again. */
async function setVisibility(sqs: SQSClient, queueUrl: string, handles: string[], seconds: number): Promise<void> {
  for (let i = 0; i < handles.length; i += 10) {
    const entries = handles.slice(i, i + 10).map((handle, j) => ({ Id: String(j), ReceiptHandle: handle, VisibilityTimeout: seconds }));
    await sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: queueUrl, Entries: entries })).catch(() => undefined);
  }
}
