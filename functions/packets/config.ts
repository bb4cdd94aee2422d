import { deadLetterSettings, integerEnv, requiredEnv } from '../shared/env.ts';

/** Settings shared by the packets functions; the shard counts must match across them. */
export const packetsConfig = () => ({
  queueUrl: requiredEnv('PACKETS_QUEUE_URL'),
  packetsTable: requiredEnv('PACKETS_TABLE'),
  countsTable: requiredEnv('PACKET_COUNTS_TABLE'),
  idempotencyTable: requiredEnv('IDEMPOTENCY_TABLE'),
  devicesTable: requiredEnv('DEVICES_TABLE'),
  packetShards: integerEnv('PACKET_SHARDS', 4),
  counterShards: integerEnv('PACKET_COUNTER_SHARDS', 4),
  maxBodyBytes: integerEnv('PACKETS_MAX_BODY_BYTES', 3_000_000),
  deadLetters: deadLetterSettings('PACKETS'),
});
