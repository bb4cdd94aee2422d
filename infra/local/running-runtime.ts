import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Endpoints } from './emulators.ts';

/**
 * The stage of the running `npm start` (DATA_DIR/runtime.json), undefined when none runs; the
 * SDK is pointed at its emulators unless AWS_ENDPOINT_URL names where to go, and otherwise
 * keeps its usual configuration (LocalStack, or AWS itself). For the operator scripts.
 */
export function useRunningRuntime(): { stage: string } | undefined {
  const dataDir = process.env.DATA_DIR && process.env.DATA_DIR !== ':memory:' ? process.env.DATA_DIR : '.data';
  let local: { stage: string; endpoints: Endpoints };
  try {
    local = JSON.parse(readFileSync(resolve(dataDir, 'runtime.json'), 'utf8'));
  } catch {
    return undefined;
  }
  if (process.env.AWS_ENDPOINT_URL) return { stage: local.stage };
  process.env.AWS_ENDPOINT_URL_SQS ??= local.endpoints.sqs;
  process.env.AWS_ENDPOINT_URL_DYNAMODB ??= local.endpoints.dynamodb;
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  return { stage: local.stage };
}
