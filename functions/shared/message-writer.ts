/**
 * Why the writers share this loop rather than Powertools' BatchProcessor, which hands its
 * handler one record at a time and settles each by whether that call threw:
 * - transactions span messages: store() gets the batch, and applyExactlyOnce packs many
 *   messages' markers and summed counts into each transaction;
 * - copies of one message delivered twice in a batch are folded into one store and settled
 *   together (by ingest id, since SQS gives each copy its own message id);
 * - when the batch fails, each message is stored alone, so a poison message fails by itself;
 * - messages a writer had no time left for (TimeBudgetError) are handed back to the queue at
 *   once (near their last receive, sent to it again as new messages while younger than the
 *   queue keeps a message), and those no retry can store go to the DLQ with their reason
 *   (settleFailures).
 */
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { forEachLimited } from './batch-writer.ts';
import { recordStored, recordWriterLag } from './observability.ts';
import { settleFailures, type DeadLetterOptions, type FailedMessage } from './sqs-batch.ts';

/** What every queue message carries in its envelope. */
type Identified = { ingestId: string; receivedAt: number };

/** How one writer turns queue messages into stored data. */
export interface MessageStore<T> {
  /** Parses and checks a message; throws PoisonMessageError when no retry could store it. */
  read(record: SQSRecord): T & Identified;
  /** Stores messages together. Must be idempotent: a message may be stored again after any failure. */
  store(messages: (T & Identified)[]): Promise<void>;
}

const PARALLEL_FALLBACK = 4;

/**
 * The one writer loop for every queue. Copies of one message (SQS delivers at least once,
 * so one batch can hold the same ingest id twice) are stored once and settled together.
 * The batch is stored in one go; if that fails, each message is stored alone, so a
 * message that cannot be stored fails by itself and the rest of its batch lands. What
 * failed is settled: retried, or dead-lettered with its reason.
 */
export async function writeMessages<T>(event: SQSEvent, store: MessageStore<T>, options: DeadLetterOptions & { writer: string }): Promise<SQSBatchResponse> {
  const failed: FailedMessage[] = [];
  const byIngestId = new Map<string, { message: T & Identified; records: SQSRecord[] }>();
  for (const record of event.Records) {
    try {
      const message = store.read(record);
      const entry = byIngestId.get(message.ingestId);
      if (entry === undefined) byIngestId.set(message.ingestId, { message, records: [record] });
      else entry.records.push(record);
    } catch (error) {
      failed.push({ record, error, ingestId: ingestIdIn(record.body) });
    }
  }
  const entries = [...byIngestId.values()];
  if (entries.length > 0) {
    try {
      await store.store(entries.map((e) => e.message));
    } catch (batchError) {
      const [only] = entries;
      if (entries.length === 1 && only !== undefined) failed.push(...only.records.map((record) => ({ record, error: batchError, ingestId: only.message.ingestId, receivedAt: only.message.receivedAt })));
      else {
        await forEachLimited(entries, PARALLEL_FALLBACK, async ({ message, records }) => {
          try {
            await store.store([message]);
          } catch (error) {
            failed.push(...records.map((record) => ({ record, error, ingestId: message.ingestId, receivedAt: message.receivedAt })));
          }
        });
      }
    }
  }
  const failedIds = new Set(failed.map((f) => f.record.messageId));
  const stored = entries.filter((e) => !e.records.some((r) => failedIds.has(r.messageId)));
  recordStored(options.writer, stored.length);
  if (stored.length > 0) recordWriterLag(options.writer, Date.now() - Math.min(...stored.map((e) => e.message.receivedAt)));
  return { batchItemFailures: await settleFailures(failed, options) };
}

/** The ingest id a message that could not be read still names, for its log lines; else undefined. */
function ingestIdIn(body: string): string | undefined {
  try {
    const id = (JSON.parse(body) as { ingestId?: unknown } | null)?.ingestId;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}
