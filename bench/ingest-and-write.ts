import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PurgeQueueCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { putAll } from '../functions/shared/batch-writer.ts';
import { parseEnvelope } from '../functions/shared/queue-envelope.ts';
import { packRecords, type PackedMessage } from '../functions/shared/queue-envelope.ts';
import { layerItems } from '../functions/packets/storage.ts';
import { deltaRows, flowDeltas, foldedUpdate } from '../functions/flows/storage.ts';
import { parseFlowRecords } from '../functions/flows/flow-schema.ts';
import { decodeNotification } from '../functions/notifications/decode.ts';
import { normalizeNotification } from '../functions/notifications/notification.ts';
import { notificationItems } from '../functions/notifications/storage.ts';
import { parsePackets } from '../functions/packets/packet-schema.ts';
import type { LocalRuntime } from '../infra/local/runtime.ts';
import { flows, packets, seedNotificationJson, sqsEvent } from './fixtures.ts';
import { direct } from '../test/helpers/sqs-events.ts';

/** One capability as the benchmark drives it: its HTTP bodies, its queue, its writer. */
export interface Capability {
  name: string;
  path: string;
  contentType: string;
  queue: string;
  kind: string;
  /** Request bodies and the records each carries, for one run. */
  bodies(): { body: string; records: number }[];
  /** The records, as ingest packs them onto the queue. */
  records(): unknown[];
  writer: () => Promise<(event: SQSEvent, context: Context) => Promise<SQSBatchResponse>>;
  /** The items a raw BatchWriteItem stores for the same messages, per table. */
  rawItems(messages: PackedMessage[]): { table: string; items: Record<string, unknown>[] }[];
}

const env = (name: string) => process.env[name] as string;

export const CAPABILITIES: Capability[] = [
  {
    name: 'packets',
    path: '/packets',
    contentType: 'application/json',
    queue: 'PacketsQueue',
    kind: 'packets',
    bodies: () => Array.from({ length: 20 }, (_, i) => ({ body: JSON.stringify(packets(500, 1_700_000_000 + i)), records: 500 })),
    records: () => packets(10_000),
    writer: async () => (await import('../functions/packets/writer.ts')).handler,
    rawItems: (messages) => [
      { table: env('PACKETS_TABLE'), items: messages.flatMap((m) => { const e = parseEnvelope(m.body, 'packets'); return layerItems(e, parsePackets(e.records), 4); }) },
    ],
  },
  {
    name: 'flows',
    path: '/flows',
    contentType: 'application/json',
    queue: 'FlowsQueue',
    kind: 'flows',
    bodies: () => Array.from({ length: 10 }, () => ({ body: JSON.stringify(flows(1000, 5)), records: 1000 })),
    records: () => flows(10_000, 5),
    writer: async () => (await import('../functions/flows/writer.ts')).handler,
    rawItems: (messages) => [
      {
        // Not the flows table: its stream (the folder's feed) slows writes to it on DynamoDB Local
        // (10,000 puts: 2,400-4,300 items/s against 5,200-6,500 without), which would lower the
        // ceiling; a table keyed like it without a stream.
        table: `${env('FLOWS_TABLE')}-ceiling`,
        // One item per distinct key of each message: what a writer storing sums per key puts
        // (this one puts a few deltas per hour shard instead, which is why it can pass this).
        items: messages.flatMap((m) => {
          const e = parseEnvelope(m.body, 'flows');
          return flowDeltas(e, parseFlowRecords(e.records), 4).flatMap((d) =>
            deltaRows(d.rows).map((row) => {
              const u = foldedUpdate(env('FLOWS_TABLE'), d.hour, d.shard, row);
              return { ...u.key, ...u.set, ...u.add, run: e.ingestId };
            }),
          );
        }),
      },
    ],
  },
  {
    name: 'notifications',
    path: '/relay-notification',
    contentType: 'application/yang-data+json',
    queue: 'NotificationsQueue',
    kind: 'notifications',
    bodies: () => Array.from({ length: 300 }, () => ({ body: seedNotificationJson, records: 1 })),
    records: () => Array.from({ length: 300 }, () => normalizeNotification(decodeNotification(seedNotificationJson, 'json'), 'json', '127.0.0.1')),
    writer: async () => (await import('../functions/notifications/writer.ts')).handler,
    rawItems: (messages) => [
      {
        table: env('NOTIFICATIONS_TABLE'),
        items: messages.flatMap((m) => {
          const e = parseEnvelope(m.body, 'notifications');
          return (e.records as Parameters<typeof notificationItems>[1][]).flatMap((n, i) => notificationItems(e, n, i, 4, 0));
        }),
      },
    ],
  },
];

async function limited<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await work(items[next++] as T);
  }));
}

/** Records/s accepted by the ingest endpoint. */
export async function ingestRun(runtime: LocalRuntime, c: Capability, key: string, concurrency: number): Promise<number> {
  const bodies = c.bodies();
  const started = performance.now();
  await limited(bodies, concurrency, async ({ body }) => {
    const response = await fetch(`${runtime.url}${c.path}`, { method: 'POST', headers: { 'content-type': c.contentType, 'x-api-key': key }, body });
    if (response.status !== 202 && response.status !== 204) throw new Error(`${c.path} answered ${response.status}: ${await response.text()}`);
    await response.arrayBuffer();
  });
  const seconds = (performance.now() - started) / 1000;
  return bodies.reduce((n, b) => n + b.records, 0) / seconds;
}

/** Records/s of SendMessageBatch of the same messages straight to the emulator, same concurrency. */
export async function rawSendRun(runtime: LocalRuntime, c: Capability, sqs: SQSClient, concurrency: number): Promise<number> {
  const records = c.records();
  const perRequest = Math.ceil(records.length / c.bodies().length);
  // The messages each request becomes, packed as ingest packs them.
  const requests: PackedMessage[][] = [];
  for (let i = 0; i < records.length; i += perRequest) requests.push(packRecords(c.kind, records.slice(i, i + perRequest)));
  const url = runtime.resources.queues.get(c.queue)?.url as string;
  const started = performance.now();
  await limited(requests, concurrency, async (messages) => {
    // At most 1 MiB per SendMessageBatch, as the publisher sends them.
    for (let i = 0; i < messages.length; i += 4) {
      await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: messages.slice(i, i + 4).map((m, j) => ({ Id: String(j), MessageBody: m.body })) }));
    }
  });
  return records.length / ((performance.now() - started) / 1000);
}

export async function purge(runtime: LocalRuntime, c: Capability, sqs: SQSClient): Promise<void> {
  await sqs.send(new PurgeQueueCommand({ QueueUrl: runtime.resources.queues.get(c.queue)?.url }));
}

/** Records/s stored by the writer, invoked directly with one batch of all the messages. */
export async function writerRun(c: Capability): Promise<number> {
  const records = c.records();
  const perMessage = Math.ceil(records.length / c.bodies().length);
  const messages: PackedMessage[] = [];
  for (let i = 0; i < records.length; i += perMessage) messages.push(...packRecords(c.kind, records.slice(i, i + perMessage)));
  const handler = direct(await c.writer());
  const started = performance.now();
  const result = (await handler(sqsEvent(messages.map((m) => m.body)))) as { batchItemFailures: unknown[] };
  if (result.batchItemFailures.length > 0) throw new Error(`${c.name} writer failed ${result.batchItemFailures.length} messages`);
  return records.length / ((performance.now() - started) / 1000);
}

/** Records/s of BatchWriteItem of the same items straight to DynamoDB Local. */
export async function rawWriteRun(c: Capability): Promise<number> {
  const records = c.records();
  const perMessage = Math.ceil(records.length / c.bodies().length);
  const messages: PackedMessage[] = [];
  for (let i = 0; i < records.length; i += perMessage) messages.push(...packRecords(c.kind, records.slice(i, i + perMessage)));
  const writes = c.rawItems(messages);
  for (const { table } of writes) await ensureTable(table);
  const started = performance.now();
  for (const { table, items } of writes) await putAll(table, items);
  return records.length / ((performance.now() - started) / 1000);
}

/** A table keyed like the service's (pk, sk) and without a stream, made the first time it is named. */
async function ensureTable(name: string): Promise<void> {
  const client = new DynamoDBClient({});
  try {
    await client.send(new DescribeTableCommand({ TableName: name }));
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error;
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      }),
    );
  } finally {
    client.destroy();
  }
}
