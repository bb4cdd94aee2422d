import { integerEnv, optionalEnv, requiredEnv } from '../shared/env.ts';

export const devicesConfig = () => ({
  queueUrl: requiredEnv('DEVICES_QUEUE_URL'),
  devicesTable: requiredEnv('DEVICES_TABLE'),
  idempotencyTable: requiredEnv('IDEMPOTENCY_TABLE'),
  maxBodyBytes: integerEnv('DEVICES_MAX_BODY_BYTES', 5_000_000),
  deadLetters: { deadLetterQueueUrl: optionalEnv('DEVICES_DLQ_URL'), maxReceiveCount: integerEnv('MAX_RECEIVE_COUNT', 5), queueUrl: optionalEnv('DEVICES_QUEUE_URL') },
});
