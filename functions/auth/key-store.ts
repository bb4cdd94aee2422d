import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { parseKeyList, type StoredKey } from './api-keys.ts';

const REFRESH_MS = 5 * 60_000;
let cached: { keys: StoredKey[]; loadedAt: number } | undefined;
let ssm: SSMClient | undefined;

/**
 * The API keys, loaded once per container and refreshed every few minutes: locally from
 * API_KEYS (plain keys, hashed as they are read), deployed from the SSM SecureString
 * named by API_KEYS_PARAMETER, holding `sha256hex=scope+scope` entries.
 */
export async function loadKeys(now = Date.now()): Promise<StoredKey[]> {
  if (cached !== undefined && now - cached.loadedAt < REFRESH_MS) return cached.keys;
  const parameter = process.env.API_KEYS_PARAMETER;
  const local = process.env.API_KEYS;
  let keys: StoredKey[];
  if (local !== undefined && local !== '') {
    keys = parseKeyList(local, { source: 'API_KEYS' });
  } else if (parameter !== undefined && parameter !== '') {
    ssm ??= new SSMClient({});
    const result = await ssm.send(new GetParameterCommand({ Name: parameter, WithDecryption: true }));
    keys = parseKeyList(result.Parameter?.Value ?? '', { hashed: true, source: parameter });
  } else {
    keys = [];
  }
  cached = { keys, loadedAt: now };
  return keys;
}
