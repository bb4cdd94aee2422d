import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { parseKeyList, type StoredKey } from './api-keys.ts';
import { parseCertScopes, type CertScopes } from './client-certs.ts';
import { withoutSdkLogging } from '../shared/sdk-logging.ts';

const REFRESH_MS = 5 * 60_000;
let cached: { keys: StoredKey[]; loadedAt: number } | undefined;
let ssm: SSMClient | undefined;
/** Created on first use: only a stage whose keys live in SSM needs it. */
const ssmClient = (): SSMClient => (ssm ??= withoutSdkLogging(new SSMClient({})));

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
    const result = await ssmClient().send(new GetParameterCommand({ Name: parameter, WithDecryption: true }));
    keys = parseKeyList(result.Parameter?.Value ?? '', { hashed: true, source: parameter });
  } else {
    keys = [];
  }
  cached = { keys, loadedAt: now };
  return keys;
}

let cachedCerts: { scopes: CertScopes; loadedAt: number } | undefined;

/**
 * The client-certificate CN-to-scopes list, loaded on the first request that carries a
 * certificate and refreshed like the keys: locally from CLIENT_CERT_SCOPES, deployed from
 * the SSM parameter named by CLIENT_CERTS_PARAMETER (`CN=scope+scope` entries). A stage
 * without that parameter trusts no certificate: a missing parameter is an empty list.
 */
export async function loadCertScopes(now = Date.now()): Promise<CertScopes> {
  const parameter = process.env.CLIENT_CERTS_PARAMETER;
  const local = process.env.CLIENT_CERT_SCOPES;
  // A short local list is parsed each time, so that it is always the environment's.
  if (local !== undefined && local !== '') return parseCertScopes(local, { source: 'CLIENT_CERT_SCOPES' });
  if (cachedCerts !== undefined && now - cachedCerts.loadedAt < REFRESH_MS) return cachedCerts.scopes;
  let scopes: CertScopes;
  if (parameter !== undefined && parameter !== '') {
    try {
      const result = await ssmClient().send(new GetParameterCommand({ Name: parameter, WithDecryption: true }));
      scopes = parseCertScopes(result.Parameter?.Value ?? '', { source: parameter });
    } catch (error) {
      if ((error as Error).name !== 'ParameterNotFound') throw error;
      scopes = new Map();
    }
  } else {
    scopes = new Map();
  }
  cachedCerts = { scopes, loadedAt: now };
  return scopes;
}
