import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { applyExactlyOnce, type IdempotentUnit } from './exactly-once.ts';
import { settleFailures, type DeadLetterOptions, type FailedMessage } from './sqs-batch.ts';

/**
 * A writer whose whole work per message is one idempotent unit of updates: each message
 * becomes a unit (or fails alone), all units are applied exactly once together, and what
 * failed is settled (retried, or dead-lettered with its reason).
 */
export async function writeUnits(
  event: SQSEvent,
  unitOf: (record: SQSRecord) => IdempotentUnit,
  options: DeadLetterOptions & { markerTable: string },
): Promise<SQSBatchResponse> {
  const failed: FailedMessage[] = [];
  const units: { record: SQSRecord; unit: IdempotentUnit }[] = [];
  for (const record of event.Records) {
    try {
      units.push({ record, unit: unitOf(record) });
    } catch (error) {
      failed.push({ record, error });
    }
  }
  try {
    await applyExactlyOnce(
      units.map((u) => u.unit),
      { markerTable: options.markerTable },
    );
  } catch (error) {
    for (const { record } of units) failed.push({ record, error });
  }
  return { batchItemFailures: await settleFailures(failed, options) };
}
