import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PurgeQueueCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
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
import { startLocalRuntime, type LocalRuntime } from '../infra/local/runtime.ts';
import type { Endpoints } from '../infra/local/emulators.ts';
import { isEntryPoint, runSectionAlone } from './section-alone.ts';
import { measure, show, sideBySide, type Measure } from './stats.ts';
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

/**
 * Sections 1 and 2 of `npm run bench`, or alone (`node bench/ingest-and-write.ts`): each
 * capability's ingest against SendMessageBatch of the same messages, and its writer against
 * BatchWriteItem of the same items, side by side, on a runtime without pollers (so that queues
 * keep what ingest sends). The packets write ceiling is section 3's baseline too.
 */
export async function ingestAndWriteRows(endpoints: Endpoints, key: string, runs: number, log: (line: string) => void): Promise<{ rows: string[]; writeCeiling: Measure }> {
  process.env.API_KEYS = key;
  const sqs = new SQSClient({ endpoint: endpoints.sqs, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const quiet = await startLocalRuntime({ endpoints, port: 0, stage: 'benchquiet', sqsEventSources: false, log: () => {} });
  const rows: string[] = [];
  const row = (section: string, what: string, value: Measure, baseline: string, ratio: number) =>
    rows.push(`| ${section} | ${what} | ${show(value)} | ${baseline} | ${ratio.toFixed(2)} | >= 0.8 | ${ratio >= 0.8 ? 'met' : '**missed**'} |`);
  let writeCeiling: Measure | undefined;
  try {
    for (const c of CAPABILITIES) {
      log(`ingest: ${c.name}`);
      const concurrency = c.name === 'notifications' ? 8 : 4;
      const [pipeline, raw] = await sideBySide(runs, async () => {
        const r = await ingestRun(quiet, c, key, concurrency);
        await purge(quiet, c, sqs);
        return r;
      }, async () => {
        const r = await rawSendRun(quiet, c, sqs, concurrency);
        await purge(quiet, c, sqs);
        return r;
      });
      const [p, r] = [measure(pipeline), measure(raw)];
      row('1 ingest', `POST ${c.path} (${c.name}), records/s`, p, `${show(r)} SendMessageBatch`, p.median / r.median);
    }
    for (const c of CAPABILITIES) {
      log(`write: ${c.name}`);
      const [writer, raw] = await sideBySide(runs, () => writerRun(c), () => rawWriteRun(c));
      const [w, r] = [measure(writer), measure(raw)];
      if (c.name === 'packets') writeCeiling = r;
      row('2 write', `${c.name} writer, records/s`, w, `${show(r)} BatchWriteItem`, w.median / r.median);
    }
  } finally {
    await quiet.stop();
    sqs.destroy();
  }
  return { rows, writeCeiling: writeCeiling as Measure };
}

if (isEntryPoint(import.meta.url)) {
  // Metered, as in the full run, whose functions count request units from the start (section 8).
  process.env.NETINGEST_METER_USAGE ??= 'true';
  await runSectionAlone(async (endpoints) => (await ingestAndWriteRows(endpoints, 'bench-key', Number(process.env.BENCH_RUNS ?? 3), (line) => process.stderr.write(`${line}\n`))).rows);
}
