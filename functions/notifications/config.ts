import { deadLetterSettings, integerEnv, requiredEnv } from '../shared/env.ts';

export const notificationsConfig = () => ({
  queueUrl: requiredEnv('NOTIFICATIONS_QUEUE_URL'),
  notificationsTable: requiredEnv('NOTIFICATIONS_TABLE'),
  devicesTable: requiredEnv('DEVICES_TABLE'),
  idempotencyTable: requiredEnv('IDEMPOTENCY_TABLE'),
  retentionDays: integerEnv('NOTIFICATION_RETENTION_DAYS', 30),
  shards: integerEnv('NOTIFICATION_SHARDS', 4),
  maxBodyBytes: integerEnv('NOTIFICATIONS_MAX_BODY_BYTES', 1_000_000),
  deadLetters: deadLetterSettings('NOTIFICATIONS'),
});
