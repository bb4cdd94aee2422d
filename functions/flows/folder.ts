import type { DynamoDBStreamEvent } from 'aws-lambda';
import { lambdaHandler } from '../shared/lambda-handler.ts';
import { logger } from '../shared/observability.ts';
import { requiredEnv } from '../shared/env.ts';
import { foldDeltas } from './fold.ts';
import { PENDING_PREFIX } from './storage.ts';

/**
 * Fed by the flows table's stream (keys only): folds the deltas the writer put into the
 * hours' sums (fold.ts). Its own writes come back on the stream too and are passed over;
 * a failure throws, so that the stream delivers the batch again (a delta left pending is
 * still counted by readers, never lost).
 */
export const handler = lambdaHandler(async (event: DynamoDBStreamEvent): Promise<void> => {
  const keys = event.Records.filter((r) => r.eventName !== 'REMOVE')
    .map((r) => ({ pk: r.dynamodb?.Keys?.pk?.S, sk: r.dynamodb?.Keys?.sk?.S }))
    .filter((k): k is { pk: string; sk: string } => k.pk?.startsWith(PENDING_PREFIX) === true && k.sk !== undefined);
  if (keys.length === 0) return;
  const result = await foldDeltas(keys, { flowsTable: requiredEnv('FLOWS_TABLE'), markerTable: requiredEnv('IDEMPOTENCY_TABLE') });
  logger.info('flow deltas folded', { ...result });
});
