import { deadLetterSettings, integerEnv, requiredEnv } from '../shared/env.ts';

/** Settings shared by the flow functions; the shard count must match across them. */
export const flowsConfig = () => ({
  queueUrl: requiredEnv('FLOWS_QUEUE_URL'),
  flowsTable: requiredEnv('FLOWS_TABLE'),
  idempotencyTable: requiredEnv('IDEMPOTENCY_TABLE'),
  shards: integerEnv('FLOW_SHARDS', 4),
  maxBodyBytes: integerEnv('FLOWS_MAX_BODY_BYTES', 3_000_000),
  deadLetters: deadLetterSettings('FLOWS'),
});
