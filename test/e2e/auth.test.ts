import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { INGEST_ONLY_KEY, READ_ONLY_KEY, TEST_API_KEY, startTestRuntime } from '../helpers/runtime.ts';

let runtime: LocalRuntime;
const packet = readFileSync('events/packets/udp-ipv4.json', 'utf8');
const basic = (password: string) => `Basic ${Buffer.from(`publisher:${password}`).toString('base64')}`;

beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(async () => runtime?.stop());

async function call(method: 'GET' | 'POST', path: string, headers: Record<string, string>) {
  const response = await fetch(`${runtime.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: method === 'POST' ? packet : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

describe('API keys through the authorizer', () => {
  it('leaves /health open', async () => {
    expect((await call('GET', '/health', {})).status).toBe(200);
  });

  it.each([
    ['no key', {}],
    ['an unknown key', { 'x-api-key': 'guess' }],
    ['an unknown Bearer token', { authorization: 'Bearer guess' }],
    ['a Basic password that is no key', { authorization: basic('guess') }],
  ])('answers 401 to %s', async (_, headers) => {
    for (const [method, path] of [['POST', '/packets'], ['GET', '/packets/tables/all']] as const) {
      const response = await call(method, path, headers);
      expect(response.status).toBe(401);
      expect(response.body.error.code).toBe('unauthorized');
    }
  });

  it('answers 403 to a key without the scope', async () => {
    expect((await call('POST', '/packets', { 'x-api-key': READ_ONLY_KEY })).status).toBe(403);
    expect((await call('GET', '/packets/tables/all', { 'x-api-key': INGEST_ONLY_KEY })).status).toBe(403);
  });

  it('accepts the key as x-api-key, Bearer, or Basic password', async () => {
    expect((await call('POST', '/packets', { 'x-api-key': TEST_API_KEY })).status).toBe(202);
    expect((await call('POST', '/packets', { authorization: `Bearer ${INGEST_ONLY_KEY}` })).status).toBe(202);
    expect((await call('POST', '/packets', { authorization: basic(TEST_API_KEY) })).status).toBe(202);
    expect((await call('GET', '/packets/tables', { authorization: basic(READ_ONLY_KEY) })).status).toBe(200);
  });
});
