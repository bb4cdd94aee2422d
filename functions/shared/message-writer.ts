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
      failed.push({ record, error });
    }
  }
  const entries = [...byIngestId.values()];
  if (entries.length > 0) {
    try {
      await store.store(entries.map((e) => e.message));
    } catch (batchError) {
      if (entries.length === 1) failed.push(...(entries[0]?.records ?? []).map((record) => ({ record, error: batchError })));
      else {
        await forEachLimited(entries, PARALLEL_FALLBACK, async ({ message, records }) => {
          try {
            await store.store([message]);
          } catch (error) {
            failed.push(...records.map((record) => ({ record, error })));
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
