import type { DynamoDBStreamEvent } from 'aws-lambda';
import { lambdaHandler } from '../shared/lambda-handler.ts';
import { forEachLimited } from '../shared/batch-writer.ts';
import { integerEnv, requiredEnv } from '../shared/env.ts';
import { logger } from '../shared/observability.ts';
import { queryPartition } from '../shared/partition-query.ts';
import { foldDeltas, type FoldResult } from './fold.ts';
import { PENDING_PREFIX } from './storage.ts';

const PARALLEL_PARTITIONS = 4;

/**
 * Fed by the flows table's stream (keys only): folds the deltas the writer put into the
 * hours' sums (fold.ts), an hour shard at a time and only once FLOW_FOLD_AFTER deltas are
 * pending there, all of them together: folds come in bursts that merge many messages' rows
 * per key, and a reader adds at most about that many deltas to a shard. Its own writes come
 * back on the stream too and are passed over. A failure throws, so that the stream delivers
 * the batch again (a delta left pending is still counted by readers, never lost).
 */
export const handler = lambdaHandler(async (event: DynamoDBStreamEvent): Promise<void> => {
  const table = requiredEnv('FLOWS_TABLE');
  const foldAfter = integerEnv('FLOW_FOLD_AFTER', 32);
  const partitions = new Set(
    event.Records.filter((r) => r.eventName !== 'REMOVE')
      .map((r) => r.dynamodb?.Keys?.pk?.S)
      .filter((pk): pk is string => pk?.startsWith(PENDING_PREFIX) === true),
  );
  const total: FoldResult = { folded: 0, duplicates: 0, transactions: 0 };
  await forEachLimited([...partitions], PARALLEL_PARTITIONS, async (pk) => {
    const pending = await queryPartition(table, pk, { attributes: ['sk'] });
    if (pending.length < foldAfter) return;
    const result = await foldDeltas(pending.map((d) => ({ pk, sk: String(d.sk) })), { flowsTable: table, markerTable: requiredEnv('IDEMPOTENCY_TABLE') });
    total.folded += result.folded;
    total.duplicates += result.duplicates;
    total.transactions += result.transactions;
  });
  if (total.transactions > 0 || total.duplicates > 0) logger.info('flow deltas folded', { ...total });
});
