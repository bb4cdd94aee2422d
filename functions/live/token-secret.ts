import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { requiredEnv } from '../shared/env.ts';
import { logger } from '../shared/observability.ts';
import { withoutSdkLogging } from '../shared/sdk-logging.ts';

/** How long a container keeps the secret it read before reading it again. */
export const SECRET_REFRESH_MS = 5 * 60_000;
/** A secret read longer ago than this may be read again at once when a token's signature does not match it (a rotation). */
export const SECRET_RECHECK_MS = 60_000;

let cached: { secret: string; loadedAt: number } | undefined;
/** When a read again last failed: the copy in hand serves, without another read, for SECRET_RECHECK_MS. */
let failedAt: number | undefined;
let client: SecretsManagerClient | undefined;
// A handshake waits on this read: one attempt, and a stalled connection given up after 3 s
// rather than the SDK's three attempts (a timeout is retried), which could outlast the function.
const secretsClient = () => (client ??= withoutSdkLogging(new SecretsManagerClient({ maxAttempts: 1, requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000 } })));

/**
 * The HMAC secret of connect tokens: locally LIVE_TOKEN_SECRET; deployed, read from the
 * Secrets Manager secret LIVE_TOKEN_SECRET_ARN names, once per container and again when the
 * copy is older than `maxAgeMs`, so that it never sits in the functions' configuration, where
 * anyone allowed to read a function's settings could read it. If a read again fails, the copy
 * in hand serves, and the next read is tried SECRET_RECHECK_MS later, not on every request.
 */
export async function tokenSecret(now = Date.now(), maxAgeMs = SECRET_REFRESH_MS): Promise<string> {
  const local = process.env.LIVE_TOKEN_SECRET;
  if (local !== undefined && local !== '') return local;
  if (cached !== undefined && (now - cached.loadedAt < maxAgeMs || (failedAt !== undefined && now - failedAt < SECRET_RECHECK_MS))) return cached.secret;
  const arn = requiredEnv('LIVE_TOKEN_SECRET_ARN');
  try {
    const { SecretString: secret } = await secretsClient().send(new GetSecretValueCommand({ SecretId: arn }));
    if (secret === undefined || secret === '') throw new Error(`the secret ${arn} holds no string`);
    cached = { secret, loadedAt: now };
    failedAt = undefined;
    return secret;
  } catch (error) {
    if (cached === undefined) throw error;
    failedAt = now;
    logger.warn('the live token secret could not be read again; the copy read before serves', { error: error as Error });
    return cached.secret;
  }
}
