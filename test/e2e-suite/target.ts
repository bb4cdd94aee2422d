import { randomUUID } from 'node:crypto';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { TEST_API_KEY, startTestRuntime } from '../helpers/runtime.ts';

/** Where the end-to-end suite runs: the embedded runtime, or a deployment (LocalStack, AWS). */
export interface Target {
  name: string;
  url: string;
  key: string;
  /** Distinguishes this run's data on a deployment that keeps data between runs. */
  runId: string;
  /** Deployed Lambdas start cold and queues poll slower: waits are longer there. */
  waitMs: number;
  close(): Promise<void>;
}

export async function openTarget(): Promise<Target> {
  const name = process.env.E2E_TARGET ?? 'embedded';
  const runId = randomUUID().slice(0, 8);
  if (name === 'embedded') {
    const runtime: LocalRuntime = await startTestRuntime();
    return { name, url: runtime.url, key: TEST_API_KEY, runId, waitMs: 30_000, close: () => runtime.stop() };
  }
  const url = process.env.API_URL?.replace(/\/$/, '');
  const key = process.env.API_KEY;
  if (!url || !key) throw new Error(`target ${name} needs API_URL and API_KEY`);
  return { name, url, key, runId, waitMs: 120_000, close: async () => undefined };
}

export async function call(target: Target, method: string, path: string, body?: string, contentType = 'application/json') {
  const response = await fetch(`${target.url}${path}`, {
    method,
    headers: { 'x-api-key': target.key, ...(body === undefined ? {} : { 'content-type': contentType }) },
    body,
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  // `any`: the suite asserts on each answer's shape field by field.
  return { status: response.status, headers: response.headers, text, body: json as any };
}

/** Polls until check() gives a value, within the target's wait. */
export async function until<T>(target: Target, what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + target.waitMs;
  while (Date.now() < deadline) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${target.name}: timed out after ${target.waitMs} ms waiting for ${what}`);
}
