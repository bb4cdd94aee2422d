import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { requiredEnv } from '../shared/env.ts';
import { withoutSdkLogging } from '../shared/sdk-logging.ts';

const REFRESH_MS = 5 * 60_000;
let cached: { secret: string; loadedAt: number } | undefined;
let client: SecretsManagerClient | undefined;

/**
 * The HMAC secret of connect tokens: locally LIVE_TOKEN_SECRET; deployed, read from the
 * Secrets Manager secret LIVE_TOKEN_SECRET_ARN names, once per container and again every few
 * minutes, so that it never sits in the functions' configuration, where anyone allowed to
 * read a function's settings could read it.
 */
export async function tokenSecret(now = Date.now()): Promise<string> {
  const local = process.env.LIVE_TOKEN_SECRET;
  if (local !== undefined && local !== '') return local;
  if (cached !== undefined && now - cached.loadedAt < REFRESH_MS) return cached.secret;
  const arn = requiredEnv('LIVE_TOKEN_SECRET_ARN');
  const { SecretString: secret } = await (client ??= withoutSdkLogging(new SecretsManagerClient({}))).send(new GetSecretValueCommand({ SecretId: arn }));
  if (secret === undefined || secret === '') throw new Error(`the secret ${arn} holds no string`);
  cached = { secret, loadedAt: now };
  return secret;
}
