import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { INGEST_ONLY_KEY, TEST_API_KEY, eventually, getJson, postJson, startTestRuntime } from '../helpers/runtime.ts';

let runtime: LocalRuntime;
beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(async () => runtime?.stop());

const flows = (vpc: string, bytes: number) => [{ src_app: 'a', dest_app: 'b', vpc_id: vpc, bytes_tx: bytes, bytes_rx: 0, hour: 777 }];
const sums = async () => Object.fromEntries(((await getJson(runtime.url, '/flows?hour=777')).body as { vpc_id: string; bytes_tx: number }[]).map((r) => [r.vpc_id, r.bytes_tx]));

describe('Idempotency-Key (IETF httpapi draft): scoped to the caller, bound to the body', () => {
  it('stores a retried request once and answers it as the first time', async () => {
    const first = await postJson(runtime.url, '/flows', flows('vpc-retry', 10), { 'idempotency-key': 'k-retry' });
    const again = await postJson(runtime.url, '/flows', flows('vpc-retry', 10), { 'idempotency-key': 'k-retry' });
    expect([first.status, again.status]).toEqual([202, 202]);
    expect(again.body).toEqual(first.body);
    await eventually(async () => ((await sums())['vpc-retry'] === 10 ? true : undefined), 20_000, 'the sum');
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await sums())['vpc-retry']).toBe(10);
  });

  it('refuses the same key with a different body with 422, and queues nothing of it', async () => {
    expect((await postJson(runtime.url, '/flows', flows('vpc-conflict', 5), { 'idempotency-key': 'k-conflict' })).status).toBe(202);
    const conflict = await postJson(runtime.url, '/flows', flows('vpc-conflict', 6), { 'idempotency-key': 'k-conflict' });
    expect(conflict.status).toBe(422);
    expect(conflict.body.error.code).toBe('idempotency_key_reused');
    await eventually(async () => ((await sums())['vpc-conflict'] === 5 ? true : undefined), 20_000, 'the first body only');
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await sums())['vpc-conflict']).toBe(5);
  });

  it('keeps the keys of different callers apart', async () => {
    const mine = await postJson(runtime.url, '/flows', flows('vpc-callers', 1), { 'idempotency-key': 'k-shared', 'x-api-key': TEST_API_KEY });
    const theirs = await postJson(runtime.url, '/flows', flows('vpc-callers', 1), { 'idempotency-key': 'k-shared', 'x-api-key': INGEST_ONLY_KEY });
    expect([mine.status, theirs.status]).toEqual([202, 202]);
    await eventually(async () => ((await sums())['vpc-callers'] === 2 ? true : undefined), 20_000, 'both callers stored');
  });
});
