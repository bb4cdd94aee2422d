import { readFileSync } from 'node:fs';
import { DeleteCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../functions/shared/dynamodb-client.ts';
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

  /** The sample TCP packet without a time of its own (its layers are stamped with its arrival), on a port of its own. */
  const untimedPacket = (port: number) => {
    const packet = JSON.parse(readFileSync('events/packets/tcp-ipv4.json', 'utf8')) as Record<string, Record<string, unknown>>;
    delete packet.Info;
    return { ...packet, TCP: { ...packet.TCP, Source_Port: port } };
  };
  /** The TCP rows of a port, and the TCP count. */
  const stored = async (port: number) => {
    const { body } = await getJson(runtime.url, '/packets/tables/view?ProtocolName=TCP&Limit=1000');
    return { rows: (body.view as { Source_Port: number }[]).filter((row) => row.Source_Port === port).length, count: Number((await getJson(runtime.url, '/packets/tables/TCP')).body.TCP ?? 0) };
  };

  it('answers 503 and queues nothing while the key cannot be claimed; the retry is then stored once', async () => {
    const before = await stored(41_001);
    const client = documentClient();
    const send = client.send.bind(client);
    // The idempotency table throttled for the key's claim alone, as DynamoDB answers under load.
    const throttled = (async (command: unknown, ...rest: unknown[]) => {
      if (command instanceof UpdateCommand && String(command.input.Key?.id).startsWith('request#')) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      return (send as (...args: unknown[]) => Promise<unknown>)(command, ...rest);
    }) as typeof client.send;
    client.send = throttled;
    let refused: Awaited<ReturnType<typeof postJson>>;
    try {
      refused = await postJson(runtime.url, '/packets', untimedPacket(41_001), { 'idempotency-key': 'k-throttled' });
    } finally {
      client.send = send;
    }
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('service_unavailable');
    const retry = await postJson(runtime.url, '/packets', untimedPacket(41_001), { 'idempotency-key': 'k-throttled' });
    expect(retry.status).toBe(202);
    await eventually(async () => ((await stored(41_001)).rows === before.rows + 1 ? true : undefined), 20_000, 'the packet stored');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await stored(41_001)).toEqual({ rows: before.rows + 1, count: before.count + 1 });
  });

  // What DynamoDB's TTL does to a key's record once its 24 hours are over: nothing for a while, then delete it.
  const requestRecords = async () => {
    const table = runtime.resources.tables.get('IdempotencyTable')?.name as string;
    const { Items = [] } = await documentClient().send(new ScanCommand({ TableName: table, ConsistentRead: true, FilterExpression: 'begins_with(id, :request)', ExpressionAttributeValues: { ':request': 'request#' } }));
    return { table, ids: Items.map((item) => item.id as string) };
  };
  const expire = async () => {
    const { table, ids } = await requestRecords();
    for (const id of ids) await documentClient().send(new UpdateCommand({ TableName: table, Key: { id }, UpdateExpression: 'SET expires_at = :past', ExpressionAttributeValues: { ':past': Math.floor(Date.now() / 1000) - 60 } }));
  };
  const remove = async () => {
    const { table, ids } = await requestRecords();
    for (const id of ids) await documentClient().send(new DeleteCommand({ TableName: table, Key: { id } }));
  };

  it.each([
    ['expired but not yet deleted', 41_002, expire],
    ['deleted', 41_003, remove],
  ])('takes a key whose record is %s as a new request: stored again, counted again, never listed twice and counted once', async (_, port, forget) => {
    const key = `k-forgotten-${port}`;
    const first = await postJson(runtime.url, '/packets', untimedPacket(port), { 'idempotency-key': key });
    expect(first.status).toBe(202);
    await eventually(async () => ((await stored(port)).rows === 1 ? true : undefined), 20_000, 'the first packet stored');
    const before = await stored(port);
    await forget();
    await new Promise((r) => setTimeout(r, 20));
    expect((await postJson(runtime.url, '/packets', untimedPacket(port), { 'idempotency-key': key })).status).toBe(202);
    await eventually(async () => ((await stored(port)).rows === 2 ? true : undefined), 20_000, 'the second packet stored');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await stored(port)).toEqual({ rows: 2, count: before.count + 1 });
    // A live record again: the same key and body once more is a retry.
    expect((await postJson(runtime.url, '/packets', untimedPacket(port), { 'idempotency-key': key })).status).toBe(202);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await stored(port)).toEqual({ rows: 2, count: before.count + 1 });
  });
});
