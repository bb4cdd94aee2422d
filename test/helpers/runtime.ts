import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { startLocalRuntime, type LocalRuntime, type LocalRuntimeOptions } from '../../infra/local/runtime.ts';

/** A key with every scope; the test runtime also knows a read-only and an ingest-only key. */
export const TEST_API_KEY = 'test-key-all-scopes';
export const READ_ONLY_KEY = 'test-key-read';
export const INGEST_ONLY_KEY = 'test-key-ingest';

/** The local runtime on a free port, against the run's emulators, under a stage of its own. */
export async function startTestRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const logs: string[] = [];
  return startLocalRuntime({
    env: {
      API_KEYS: `${TEST_API_KEY},${READ_ONLY_KEY}=read,${INGEST_ONLY_KEY}=ingest`,
      // EMF lines for every request would bury the test output; TEST_RUNTIME_LOG shows them.
      POWERTOOLS_METRICS_DISABLED: process.env.TEST_RUNTIME_LOG ? 'false' : 'true',
    },
    // The simulator would add its own traffic every minute; tests that want it say so.
    schedules: false,
    // The live broadcaster reads every device write back; only tests of the live channel want it.
    streamEventSources: false,
    endpoints: inject('endpoints'),
    port: 0,
    stage: `t${randomUUID().slice(0, 8)}`,
    log: (line) => {
      logs.push(line);
      if (process.env.TEST_RUNTIME_LOG) console.log(line);
    },
    ...options,
  });
}

/** Polls until check() returns a value that is not undefined, or fails after timeoutMs. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

// Bodies are `any`: tests assert on their shape field by field.
export async function getJson(base: string, path: string, headers: Record<string, string> = { 'x-api-key': TEST_API_KEY }): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(`${base}${path}`, { headers });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text), headers: response.headers };
}

export async function postJson(base: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': TEST_API_KEY, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text), headers: response.headers };
}
