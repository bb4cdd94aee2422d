import { deadLetterSettings, integerEnv, requiredEnv } from '../shared/env.ts';

export const devicesConfig = () => ({
  queueUrl: requiredEnv('DEVICES_QUEUE_URL'),
  devicesTable: requiredEnv('DEVICES_TABLE'),
  idempotencyTable: requiredEnv('IDEMPOTENCY_TABLE'),
  maxBodyBytes: integerEnv('DEVICES_MAX_BODY_BYTES', 3_000_000),
  deadLetters: deadLetterSettings('DEVICES'),
});
