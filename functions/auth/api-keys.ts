import { createHash, timingSafeEqual } from 'node:crypto';

export const SCOPES = ['ingest', 'read'] as const;
export type Scope = (typeof SCOPES)[number];

/** A key as the service keeps it: its SHA-256, never the key itself, and its scopes. */
export interface StoredKey {
  id: string;
  hash: Buffer;
  scopes: Set<Scope>;
}

export function hashKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/**
 * Parses a key list: comma-separated `key` (every scope) or `key=scope+scope` entries.
 * With `hashed`, each key is given as the hex SHA-256 of the key (what SSM stores).
 * A malformed entry throws, naming the list (`source`) and the entry by its position and
 * scopes: never by its key, which is a secret.
 */
export function parseKeyList(spec: string, options: { hashed?: boolean; source?: string } = {}): StoredKey[] {
  const source = options.source ?? 'API key list';
  const entries = spec.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  const positions = new Map<string, number>();
  return entries.map((entry, index) => {
    const eq = entry.lastIndexOf('=');
    const secret = eq === -1 ? entry : entry.slice(0, eq);
    const scopeList = eq === -1 ? [...SCOPES] : entry.slice(eq + 1).split('+').map((s) => s.trim());
    const bad = (problem: string) => new Error(`${source} entry ${index + 1} of ${entries.length} (***${eq === -1 ? '' : entry.slice(eq)}): ${problem}`);
    for (const scope of scopeList) {
      if (!(SCOPES as readonly string[]).includes(scope)) throw bad(`unknown scope "${scope}" (use ${SCOPES.join(', ')})`);
    }
    if (secret === '') throw bad('the key is empty');
    if (options.hashed && !/^[0-9a-f]{64}$/i.test(secret)) throw bad('expected a hex SHA-256');
    // Bearer splits on whitespace and headers cannot hold control characters: such a key could never be presented.
    if (/[\s\x00-\x1f\x7f]/.test(secret)) throw bad('the key contains whitespace or a control character');
    const hash = options.hashed ? Buffer.from(secret, 'hex') : hashKey(secret);
    const id = hash.toString('hex');
    const first = positions.get(id);
    if (first !== undefined) throw bad(`the same key as entry ${first}`);
    positions.set(id, index + 1);
    return { id: id.slice(0, 8), hash, scopes: new Set(scopeList as Scope[]) };
  });
}

/** The key a request presents: x-api-key, `Authorization: Bearer <key>`, or Basic with the key as password. */
export function presentedKey(headers: Record<string, string | undefined>): string | undefined {
  const apiKey = headers['x-api-key'];
  if (apiKey !== undefined && apiKey !== '') return apiKey;
  const authorization = headers.authorization?.trim();
  if (authorization === undefined) return undefined;
  const [scheme, credentials] = authorization.split(/\s+/, 2);
  if (credentials === undefined) return undefined;
  if (scheme?.toLowerCase() === 'bearer') return credentials;
  if (scheme?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon === -1 ? undefined : decoded.slice(colon + 1);
  }
  return undefined;
}

/** Finds the stored key matching a presented one, comparing hashes in constant time. */
export function findKey(keys: readonly StoredKey[], presented: string): StoredKey | undefined {
  const hash = hashKey(presented);
  let found: StoredKey | undefined;
  // Every stored key is compared, so the time taken does not reveal which one matched.
  for (const key of keys) if (timingSafeEqual(key.hash, hash) && found === undefined) found = key;
  return found;
}

/** Writes need `ingest`; reads need `read`. */
export function requiredScope(method: string): Scope {
  return method === 'GET' || method === 'HEAD' ? 'read' : 'ingest';
}

export type Decision =
  | { outcome: 'allow'; keyId: string }
  | { outcome: 'unauthenticated'; reason: string }
  | { outcome: 'forbidden'; keyId: string; reason: string };

export function authorize(keys: readonly StoredKey[], headers: Record<string, string | undefined>, method: string): Decision {
  const presented = presentedKey(headers);
  if (presented === undefined) return { outcome: 'unauthenticated', reason: 'an API key is required (x-api-key, Bearer, or Basic with the key as password)' };
  const key = findKey(keys, presented);
  if (key === undefined) return { outcome: 'unauthenticated', reason: 'unknown API key' };
  const scope = requiredScope(method);
  if (!key.scopes.has(scope)) return { outcome: 'forbidden', keyId: key.id, reason: `this API key lacks the ${scope} scope` };
  return { outcome: 'allow', keyId: key.id };
}
