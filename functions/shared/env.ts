/** Reads a required setting; a missing one is a deployment error, reported by name. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`environment variable ${name} is not set`);
  return value;
}

export function integerEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`environment variable ${name} must be a positive integer, got "${raw}"`);
  return value;
}

export function optionalEnv(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

/**
 * A writer's queue settings for settleFailures (sqs-batch.ts), read from `<queue>_QUEUE_URL`
 * (where messages it had no time for are made visible again, or sent again), `<queue>_DLQ_URL` and
 * MAX_RECEIVE_COUNT (the receives before a message is dead-lettered).
 */
export const deadLetterSettings = (queue: string) => ({
  deadLetterQueueUrl: optionalEnv(`${queue}_DLQ_URL`),
  maxReceiveCount: integerEnv('MAX_RECEIVE_COUNT', 5),
  queueUrl: optionalEnv(`${queue}_QUEUE_URL`),
});
