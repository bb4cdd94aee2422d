import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { documentClient } from '../../functions/shared/dynamodb-client.ts';
import { parseEnvelope } from '../../functions/shared/queue-envelope.ts';
import { applyExactlyOnce } from '../../functions/shared/exactly-once.ts';
import { packRecords, type PackedMessage } from '../../functions/shared/queue-envelope.ts';
import { flowsConfig } from '../../functions/flows/config.ts';
import type { FlowRecord } from '../../functions/flows/flow-schema.ts';
import { flowUnit, hourPartition } from '../../functions/flows/storage.ts';
import { startTestRuntime } from '../helpers/runtime.ts';
import { sqsEvent, sqsRecord, direct } from '../helpers/sqs-events.ts';

let runtime: LocalRuntime;
let writer: (event: SQSEvent) => Promise<SQSBatchResponse>;
let nextHour = 1000;

beforeAll(async () => {
  runtime = await startTestRuntime({ sqsEventSources: false });
  writer = direct((await import('../../functions/flows/writer.ts')).handler);
});
afterAll(async () => runtime?.stop());

function records(hour: number, count: number, pairs: number): FlowRecord[] {
  return Array.from({ length: count }, (_, i) => ({ src_app: `app-${i % pairs}`, dest_app: 'db', vpc_id: 'vpc-1', bytes_tx: i + 1, bytes_rx: 2 * (i + 1), hour }));
}

function message(rs: FlowRecord[]): PackedMessage {
  return packRecords('flows', rs)[0] as PackedMessage;
}

function sums(rs: FlowRecord[]): Map<string, { tx: number; rx: number }> {
  const out = new Map<string, { tx: number; rx: number }>();
  for (const r of rs) {
    const s = out.get(r.src_app) ?? { tx: 0, rx: 0 };
    out.set(r.src_app, { tx: s.tx + Number(r.bytes_tx), rx: s.rx + Number(r.bytes_rx) });
  }
  return out;
}

async function stored(hour: number): Promise<Map<string, { tx: number; rx: number }>> {
  const config = flowsConfig();
  const out = new Map<string, { tx: number; rx: number }>();
  for (let shard = 0; shard < config.shards; shard++) {
    const page = await documentClient().send(
      new QueryCommand({ TableName: config.flowsTable, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': hourPartition(hour, shard) } }),
    );
    for (const item of page.Items ?? []) out.set(String(item.src_app), { tx: Number(item.bytes_tx), rx: Number(item.bytes_rx) });
  }
  return out;
}

describe('flows writer against DynamoDB Local', () => {
  it('keeps sums exact when a message is delivered twice in a batch and another in two batches', async () => {
    const hour = nextHour++;
    const [a, b, c] = [records(hour, 50, 5), records(hour, 30, 7), records(hour, 10, 3)];
    const [ma, mb, mc] = [message(a), message(b), message(c)];
    expect((await writer(sqsEvent([sqsRecord(ma.body), sqsRecord(ma.body, 2), sqsRecord(mb.body)]))).batchItemFailures).toEqual([]);
    expect((await writer(sqsEvent([sqsRecord(mb.body, 2), sqsRecord(mc.body)]))).batchItemFailures).toEqual([]);
    expect(await stored(hour)).toEqual(sums([...a, ...b, ...c]));
  });

  it('keeps sums exact when a crashed writer applied some messages of a batch before the batch came back', async () => {
    const hour = nextHour++;
    const [a, b] = [records(hour, 20, 4), records(hour, 20, 6)];
    const [ma, mb] = [message(a), message(b)];
    // The crashed invocation got as far as applying message a.
    const config = flowsConfig();
    const envelope = parseEnvelope(ma.body, 'flows');
    await applyExactlyOnce([flowUnit(envelope, a, config.flowsTable, config.shards)], { markerTable: config.idempotencyTable });
    expect((await writer(sqsEvent([sqsRecord(ma.body, 2), sqsRecord(mb.body, 2)]))).batchItemFailures).toEqual([]);
    expect(await stored(hour)).toEqual(sums([...a, ...b]));
  });

  it('splits a message with more distinct keys than a transaction holds, and applies each part once', async () => {
    const hour = nextHour++;
    const many = records(hour, 450, 250);
    const m = message(many);
    expect((await writer(sqsEvent([sqsRecord(m.body)]))).batchItemFailures).toEqual([]);
    expect((await writer(sqsEvent([sqsRecord(m.body, 2)]))).batchItemFailures).toEqual([]);
    const result = await stored(hour);
    expect(result.size).toBe(250);
    expect(result).toEqual(sums(many));
  });
});
