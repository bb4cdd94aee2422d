import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { documentClient } from '../../functions/shared/dynamodb-client.ts';
import { packRecords } from '../../functions/shared/queue-envelope.ts';
import { flowKey } from '../../functions/flows/storage.ts';
import { notificationsConfig } from '../../functions/notifications/config.ts';
import { decodeNotification } from '../../functions/notifications/decode.ts';
import { normalizeNotification } from '../../functions/notifications/notification.ts';
import { foldHour, hourSums } from '../helpers/flow-sums.ts';
import { startTestRuntime } from '../helpers/runtime.ts';
import { direct, sqsEvent, sqsRecord } from '../helpers/sqs-events.ts';

/**
 * Generated writer batches: innocent messages (some delivered twice) with one message the table
 * refuses at a generated position. Whatever the batch, the poison alone is dead-lettered with its
 * reason and every innocent record is stored exactly once. POISON_RUNS raises the case count.
 */
const RUNS = Number(process.env.POISON_RUNS ?? 8);

let runtime: LocalRuntime;
let sqs: SQSClient;
let flowsWriter: (event: SQSEvent) => Promise<SQSBatchResponse>;
let notificationsWriter: (event: SQSEvent) => Promise<SQSBatchResponse>;

beforeAll(async () => {
  // Tables and queues only: the test plays the event source.
  runtime = await startTestRuntime({ sqsEventSources: false });
  sqs = new SQSClient({});
  flowsWriter = direct((await import('../../functions/flows/writer.ts')).handler);
  notificationsWriter = direct((await import('../../functions/notifications/writer.ts')).handler);
});
afterAll(async () => {
  sqs?.destroy();
  await runtime?.stop();
});

const message = (kind: string, records: unknown[]) => (packRecords(kind, records)[0] as { body: string }).body;

/** Everything in a dead-letter queue, by body, with its reason; the queue is left empty. */
async function drainDeadLetters(logicalId: string): Promise<Map<string, string | undefined>> {
  const url = runtime.resources.queues.get(logicalId)?.url;
  const found = new Map<string, string | undefined>();
  for (;;) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], WaitTimeSeconds: 1 }));
    if (Messages.length === 0) return found;
    for (const m of Messages) found.set(m.Body as string, m.MessageAttributes?.reason?.StringValue);
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }));
  }
}

/** A batch of the innocent bodies, some twice, with the poison at a generated position. */
const batchArb = <T>(innocent: fc.Arbitrary<T[]>) =>
  innocent.chain((items) =>
    fc.record({
      items: fc.constant(items),
      repeated: fc.subarray(items.map((_, i) => i), { maxLength: Math.min(2, items.length) }),
      poisonAt: fc.nat({ max: items.length }),
    }),
  );

function assemble(innocent: string[], repeated: number[], poison: string, poisonAt: number): string[] {
  const bodies = [...innocent, ...repeated.map((i) => innocent[i] as string)];
  bodies.splice(poisonAt, 0, poison);
  return bodies;
}

describe('one poison message never takes its batch with it', () => {
  it('flows: sums of the innocent messages exact, the poison dead-lettered with its reason', { timeout: 240_000 }, async () => {
    const vpc = `vpc-${randomUUID()}`;
    const hour = 900_000 + Math.floor(Math.random() * 50_000);
    const expected = new Map<string, { record: { src_app: string; dest_app: string; vpc_id: string; hour: number }; tx: bigint; rx: bigint }>();
    const poisons: string[] = [];
    const recordArb = fc.record({
      src_app: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }),
      dest_app: fc.constantFrom('db', 'web', 'constructor'),
      bytes_tx: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      bytes_rx: fc.nat(),
    });
    await fc.assert(
      fc.asyncProperty(batchArb(fc.array(fc.array(recordArb, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 8 })), async ({ items, repeated, poisonAt }) => {
        const innocent = items.map((records) => message('flows', records.map((r) => ({ ...r, vpc_id: vpc, hour }))));
        // A name longer than a flow key may hold: ingest refuses it, an older producer may not have.
        const poison = message('flows', [{ src_app: 'x'.repeat(1100), dest_app: randomUUID(), vpc_id: vpc, hour, bytes_tx: 1, bytes_rx: 1 }]);
        poisons.push(poison);
        const result = await flowsWriter(sqsEvent(assemble(innocent, repeated, poison, poisonAt).map((body) => sqsRecord(body))));
        expect(result.batchItemFailures).toEqual([]);
        for (const r of items.flat()) {
          const key = flowKey({ src_app: r.src_app, dest_app: r.dest_app, vpc_id: vpc });
          const sum = expected.get(key) ?? { record: { src_app: r.src_app, dest_app: r.dest_app, vpc_id: vpc, hour }, tx: 0n, rx: 0n };
          expected.set(key, { ...sum, tx: sum.tx + r.bytes_tx, rx: sum.rx + BigInt(r.bytes_rx) });
        }
      }),
      { numRuns: RUNS },
    );
    // As read with the writer's deltas pending, and again once they are folded into the hour's sums.
    for (const read of [() => hourSums(hour), async () => (await foldHour(hour), hourSums(hour))]) {
      const rows = await read();
      expect(rows.size).toBe(expected.size);
      for (const [sk, { tx, rx }] of expected) expect([BigInt((rows.get(sk)?.bytes_tx as bigint) ?? -1), BigInt((rows.get(sk)?.bytes_rx as bigint) ?? -1)], sk).toEqual([tx, rx]);
    }
    const dead = await drainDeadLetters('FlowsDLQ');
    expect(dead.size).toBe(poisons.length);
    for (const poison of poisons) expect(dead.get(poison)).toMatch(/record 0 field src_app: may not exceed 256 characters/);
  });

  it('notifications: every innocent notification stored once, the poison dead-lettered with its reason', { timeout: 240_000 }, async () => {
    const seed = readFileSync('events/notifications/seed-interfaces.json', 'utf8');
    const publisher = `192.0.2.${1 + Math.floor(Math.random() * 250)}`;
    const tag = randomUUID();
    const notification = (eventTime: string, name?: string) => {
      const body = JSON.parse(seed);
      const content = body['ietf-https-notif:notification'];
      content.eventTime = eventTime;
      content.interface_data.interface[0].description = tag;
      const normalized = normalizeNotification(decodeNotification(JSON.stringify(body), 'json'), 'json', publisher);
      if (name !== undefined) (normalized.interfaces?.[0] as { name: string }).name = name;
      return normalized;
    };
    const stored = new Set<string>();
    const poisons: string[] = [];
    await fc.assert(
      fc.asyncProperty(
        batchArb(fc.uniqueArray(fc.date({ min: new Date('2001-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true }), { minLength: 1, maxLength: 8, selector: (d) => d.getTime() })),
        async ({ items, repeated, poisonAt }) => {
          const fresh = items.map((d) => d.toISOString()).filter((t) => !stored.has(t));
          const innocent = fresh.map((eventTime) => message('notifications', [notification(eventTime)]));
          // Ingest refuses such a name; a message from elsewhere (an older version, a redrive) may still hold one.
          const poison = message('notifications', [notification(new Date().toISOString(), 'x'.repeat(100_000))]);
          poisons.push(poison);
          const result = await notificationsWriter(sqsEvent(assemble(innocent, repeated.filter((i) => i < innocent.length), poison, Math.min(poisonAt, innocent.length)).map((body) => sqsRecord(body))));
          expect(result.batchItemFailures).toEqual([]);
          for (const t of fresh) stored.add(t);
        },
      ),
      { numRuns: RUNS },
    );
    const config = notificationsConfig();
    const found = new Set<string>();
    for (let shard = 0; shard < config.shards; shard++) {
      let start: Record<string, unknown> | undefined;
      do {
        const page = await documentClient().send(
          new QueryCommand({ TableName: config.notificationsTable, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `notif#${shard}` }, ExclusiveStartKey: start }),
        );
        for (const item of page.Items ?? []) {
          const n = item.notification as { eventTime: string; publisher?: string; interfaces?: { description?: string }[] };
          if (n.publisher === publisher && n.interfaces?.[0]?.description === tag) {
            expect(found.has(n.eventTime), `${n.eventTime} stored twice`).toBe(false);
            found.add(n.eventTime);
          }
        }
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
    }
    expect([...found].filter((t) => !stored.has(t)), "stored but not sent").toEqual([]);
    expect([...found].sort()).toEqual([...stored].sort());
    const dead = await drainDeadLetters('NotificationsDLQ');
    expect(dead.size).toBe(poisons.length);
    for (const poison of poisons) expect(dead.get(poison)).toMatch(/interface name longer than 255 characters/);
  });
});
