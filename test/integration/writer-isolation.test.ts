import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { readFileSync } from 'node:fs';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { documentClient } from '../../functions/shared/dynamodb-client.ts';
import { packRecords } from '../../functions/shared/queue-envelope.ts';
import { flowKey } from '../../functions/flows/storage.ts';
import { notificationsConfig } from '../../functions/notifications/config.ts';
import { decodeNotification } from '../../functions/notifications/decode.ts';
import { normalizeNotification, type NormalizedNotification } from '../../functions/notifications/notification.ts';
import { foldHour, hourSums } from '../helpers/flow-sums.ts';
import { startTestRuntime } from '../helpers/runtime.ts';
import { sqsEvent, sqsRecord, direct } from '../helpers/sqs-events.ts';

let runtime: LocalRuntime;
let notificationsWriter: (event: SQSEvent) => Promise<SQSBatchResponse>;
let flowsWriter: (event: SQSEvent) => Promise<SQSBatchResponse>;

beforeAll(async () => {
  // Tables and queues only: the test plays the event source.
  runtime = await startTestRuntime({ sqsEventSources: false });
  notificationsWriter = direct((await import('../../functions/notifications/writer.ts')).handler);
  flowsWriter = direct((await import('../../functions/flows/writer.ts')).handler);
});
afterAll(async () => runtime?.stop());

const seed = readFileSync('events/notifications/seed-interfaces.json', 'utf8');

/** The seed notification at another time, its first two interfaces given one MAC (a bond and its VLAN). */
function notification(eventTime: string, sharedMac = false): NormalizedNotification {
  const body = JSON.parse(seed);
  const content = body['ietf-https-notif:notification'];
  content.eventTime = eventTime;
  if (sharedMac) content.interface_data.interface[1]['phys-address'] = content.interface_data.interface[0]['phys-address'];
  return normalizeNotification(decodeNotification(JSON.stringify(body), 'json'), 'json', '192.0.2.1');
}

const message = (kind: string, records: unknown[]) => (packRecords(kind, records)[0] as { body: string }).body;

async function historyCount(): Promise<number> {
  const config = notificationsConfig();
  let total = 0;
  for (let shard = 0; shard < config.shards; shard++) {
    const page = await documentClient().send(
      new QueryCommand({ TableName: config.notificationsTable, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `notif#${shard}` }, Select: 'COUNT' }),
    );
    total += page.Count ?? 0;
  }
  return total;
}

async function deadLetters(logicalId: string): Promise<Record<string, string | undefined>> {
  const sqs = new SQSClient({});
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: runtime.resources.queues.get(logicalId)?.url, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], WaitTimeSeconds: 1 }),
  );
  sqs.destroy();
  return Object.fromEntries(Messages.map((m) => [m.Body as string, m.MessageAttributes?.reason?.StringValue]));
}

describe('writers are total on what ingest accepts, and a failing message fails alone', () => {
  it('stores a message delivered twice in one batch once, and interfaces sharing a MAC', async () => {
    const before = await historyCount();
    const twice = message('notifications', [notification('2025-05-01T10:00:00Z', true)]);
    const other = message('notifications', [notification('2025-05-01T10:01:00Z', true)]);
    const result = await notificationsWriter(sqsEvent([sqsRecord(twice), sqsRecord(other), sqsRecord(twice)]));
    expect(result.batchItemFailures).toEqual([]);
    expect(await historyCount()).toBe(before + 2);
    // Both interfaces of one MAC keep their own series entries.
    const mac = notification('2025-05-01T10:00:00Z', true).interfaces?.[0]?.['phys-address'] as string;
    const series = await documentClient().send(
      new QueryCommand({ TableName: notificationsConfig().notificationsTable, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `if#${mac}` } }),
    );
    expect(new Set(series.Items?.map((i) => (i.interface as { name: string }).name)).size).toBe(2);
    expect(series.Items).toHaveLength(4);
  });

  it('dead-letters at once, with its reason, a message the tables would refuse, and stores the rest of its batch', async () => {
    const before = await historyCount();
    // Ingest refuses such a name; a message from elsewhere (an older version, a redrive) may still hold one.
    const oversized = notification('2025-05-02T10:00:00Z');
    (oversized.interfaces?.[0] as { name: string }).name = 'x'.repeat(100_000);
    const bad = message('notifications', [oversized]);
    const innocent = [message('notifications', [notification('2025-05-02T10:01:00Z')]), message('notifications', [notification('2025-05-02T10:02:00Z')])];
    const result = await notificationsWriter(sqsEvent([sqsRecord(innocent[0] as string), sqsRecord(bad), sqsRecord(innocent[1] as string)]));
    expect(result.batchItemFailures).toEqual([]);
    expect(await historyCount()).toBe(before + 2);
    expect((await deadLetters('NotificationsDLQ'))[bad]).toMatch(/interface name longer than 255 characters/);
  });

  it('sums flow bytes exactly past 2^53, up to and beyond 2^64 - 1 per record', async () => {
    const max = 2n ** 64n - 1n;
    const record = { src_app: 'big', dest_app: 'sum', vpc_id: 'vpc-exact', bytes_tx: max, bytes_rx: 2n ** 53n + 1n, hour: 424242 };
    const result = await flowsWriter(sqsEvent([sqsRecord(message('flows', [record, record])), sqsRecord(message('flows', [{ ...record, bytes_tx: 1 }]))]));
    expect(result.batchItemFailures).toEqual([]);
    const sk = flowKey(record);
    // As read with the writer's deltas pending, and again once they are folded into the hour's sums.
    const pending = (await hourSums(record.hour)).get(sk);
    expect([pending?.bytes_tx, pending?.bytes_rx]).toEqual([2n * max + 1n, 3n * (2n ** 53n + 1n)]);
    await foldHour(record.hour);
    const page = { Items: [(await hourSums(record.hour)).get(sk)] };
    expect(page.Items?.[0]?.bytes_tx).toBe(2n * max + 1n);
    expect(page.Items?.[0]?.bytes_rx).toBe(3n * (2n ** 53n + 1n));
  });
});
