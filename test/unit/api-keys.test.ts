import { describe, expect, it } from 'vitest';
import { authorize, hashKey, parseKeyList, presentedKey, requiredScope } from '../../functions/auth/api-keys.ts';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('API keys', () => {
  const keys = parseKeyList('all-key, reader=read, writer=ingest, both=ingest+read');

  it('reads key lists with and without scopes', () => {
    expect(keys.map((k) => [...k.scopes].sort())).toEqual([['ingest', 'read'], ['read'], ['ingest'], ['ingest', 'read']]);
    expect(() => parseKeyList('k=admin')).toThrow(/unknown scope "admin"/);
  });

  it('keeps only hashes', () => {
    for (const key of keys) expect(key.hash).toHaveLength(32);
    expect(keys[0]?.hash.equals(hashKey('all-key'))).toBe(true);
    const hashed = parseKeyList(`${hashKey('secret').toString('hex')}=read`, { hashed: true });
    expect(authorize(hashed, { 'x-api-key': 'secret' }, 'GET').outcome).toBe('allow');
    expect(() => parseKeyList('not-a-hash', { hashed: true })).toThrow(/SHA-256/);
  });

  it.each([
    [{ 'x-api-key': 'k1' }, 'k1'],
    [{ authorization: 'Bearer k2' }, 'k2'],
    [{ authorization: 'bearer  k3' }, 'k3'],
    [{ authorization: basic('publisher', 'k4') }, 'k4'],
    [{ authorization: basic('', 'k:5') }, 'k:5'],
    [{ authorization: 'Digest abc' }, undefined],
    [{ authorization: 'Bearer' }, undefined],
    [{}, undefined],
  ])('finds the key in %j', (headers, key) => {
    expect(presentedKey(headers)).toBe(key);
  });

  it('maps methods to scopes', () => {
    expect(requiredScope('GET')).toBe('read');
    expect(requiredScope('POST')).toBe('ingest');
  });

  it('decides: allow, unauthenticated (401) or forbidden (403)', () => {
    expect(authorize(keys, {}, 'GET')).toMatchObject({ outcome: 'unauthenticated' });
    expect(authorize(keys, { 'x-api-key': 'nope' }, 'GET')).toMatchObject({ outcome: 'unauthenticated', reason: 'unknown API key' });
    expect(authorize(keys, { 'x-api-key': 'reader' }, 'POST')).toMatchObject({ outcome: 'forbidden', reason: expect.stringContaining('ingest') });
    expect(authorize(keys, { 'x-api-key': 'writer' }, 'GET')).toMatchObject({ outcome: 'forbidden' });
    expect(authorize(keys, { 'x-api-key': 'reader' }, 'GET')).toMatchObject({ outcome: 'allow' });
    expect(authorize(keys, { authorization: basic('x', 'both') }, 'POST')).toMatchObject({ outcome: 'allow' });
    expect(authorize([], { 'x-api-key': 'all-key' }, 'GET')).toMatchObject({ outcome: 'unauthenticated' });
  });
});
