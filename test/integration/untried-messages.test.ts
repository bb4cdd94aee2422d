import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { readFileSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { packRecords, type PackedMessage } from '../../functions/shared/queue-envelope.ts';
import { PoisonMessageError, SOURCE_QUEUE_RETENTION_SECONDS, TimeBudgetError, settleFailures } from '../../functions/shared/sqs-batch.ts';
import { packetsConfig } from '../../functions/packets/config.ts';
import type { Packet } from '../../functions/packets/packet-schema.ts';
import { startTestRuntime } from '../helpers/runtime.ts';
import { expectedCounts, storedCounts } from '../helpers/packet-counts.ts';
import { direct, lambdaContext, sqsEvent, sqsRecord } from '../helpers/sqs-events.ts';

// A message the writer never tried (no time left for it) must not use up its receives
// towards the DLQ: from the receive before the last it goes back on its queue as a new message.

const samples = readdirSync('events/packets').map((f) => JSON.parse(readFileSync(`events/packets/${f}`, 'utf8')) as Packet);

let runtime: LocalRuntime;
let sqs: SQSClient;
let handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

beforeAll(async () => {
  // Tables and queues only: the test plays Lambda's event source, receiving and deleting by hand.
  runtime = await startTestRuntime({ sqsEventSources: false });
  sqs = new SQSClient({});
  handler = (await import('../../functions/packets/writer.ts')).handler;
});
afterAll(async () => {
  sqs?.destroy();
  await runtime?.stop();
});

const queue = () => runtime.resources.queues.get('PacketsQueue') as { url: string; arn: string };
const dlq = () => runtime.resources.queues.get('PacketsDLQ') as { url: string; arn: string };

/** Distinct packets messages, each of a few packets. */
function messages(count: number, first = 0): PackedMessage[] {
  return Array.from({ length: count }, (_, m) => packRecords('packets', [0, 1, 2].map((i) => samples[(first + m + i) % samples.length] as Packet))[0] as PackedMessage);
}

/** A received message as Lambda hands it over: its own id, receipt handle and receive count. */
function asRecord(message: Message): SQSRecord {
  return {
    ...sqsRecord(message.Body as string, Number(message.Attributes?.ApproximateReceiveCount)),
    messageId: message.MessageId as string,
    receiptHandle: message.ReceiptHandle as string,
    eventSourceARN: queue().arn,
  };
}

/** Up to `wanted` messages of the queue; without `wanted`, those visible until a receive finds none. */
async function receive(url: string, visibilityTimeout: number, wanted = Infinity): Promise<Message[]> {
  const got = new Map<string, Message>();
  for (let attempt = 0; attempt < 10 && got.size < wanted; attempt++) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: visibilityTimeout,
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0 && wanted === Infinity) break;
    for (const m of Messages) got.set(m.MessageId as string, m);
  }
  return [...got.values()];
}

/**
 * `body` queued and received `receives` times, the last as Lambda's poller receives (hidden
 * for the queue's 180 s), as a record. Only while nothing else of the queue is visible.
 */
async function receivedTimes(body: string, receives: number): Promise<SQSRecord> {
  await sqs.send(new SendMessageCommand({ QueueUrl: queue().url, MessageBody: body }));
  for (let i = 1; i < receives; i++) expect((await receive(queue().url, 0, 1)).map((m) => m.Body)).toEqual([body]);
  const [last] = await receive(queue().url, 180, 1);
  expect(last?.Attributes?.ApproximateReceiveCount).toBe(String(receives));
  return asRecord(last as Message);
}

/** What Lambda does with a batch's messages the function did not report as failed. */
async function deleteHandled(records: SQSRecord[], response: SQSBatchResponse): Promise<void> {
  const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  const handled = records.filter((r) => !failed.has(r.messageId));
  for (let i = 0; i < handled.length; i += 10) {
    const result = await sqs.send(
      new DeleteMessageBatchCommand({ QueueUrl: queue().url, Entries: handled.slice(i, i + 10).map((r, j) => ({ Id: String(j), ReceiptHandle: r.receiptHandle })) }),
    );
    expect(result.Failed ?? []).toEqual([]);
  }
}

/** Every dead letter of the packets DLQ not read before, by body (read, they stay hidden for a minute). */
async function deadLetters(): Promise<Map<string, Message>> {
  return new Map((await receive(dlq().url, 60)).map((m) => [m.Body as string, m]));
}

const added = (before: Record<string, number>, after: Record<string, number>) =>
  Object.fromEntries(Object.keys(after).flatMap((protocol) => ((after[protocol] ?? 0) - (before[protocol] ?? 0) === 0 ? [] : [[protocol, (after[protocol] ?? 0) - (before[protocol] ?? 0)]])));

describe('messages a writer had no time for', () => {
  it('go back on their queue as new messages on their 4th and 5th receive, not to the DLQ, and are stored once', async () => {
    const [second, fourth, fifth] = messages(3, 100) as [PackedMessage, PackedMessage, PackedMessage];
    const filler = messages(10);
    const before = await storedCounts();
    const records = [await receivedTimes(second.body, 2), await receivedTimes(fourth.body, 4), await receivedTimes(fifth.body, 5)];
    for (const m of filler) await sqs.send(new SendMessageCommand({ QueueUrl: queue().url, MessageBody: m.body }));
    const fillerRecords = (await receive(queue().url, 180, filler.length)).map(asRecord);
    expect(fillerRecords.map((r) => r.attributes.ApproximateReceiveCount)).toEqual(filler.map(() => '1'));

    // A backlog: the first chunk of ten takes the 2 s left, and the batch's tail is not tried.
    const batch = [...fillerRecords, ...records];
    const short = await handler(sqsEvent(batch), { ...lambdaContext(), getRemainingTimeInMillis: () => 2_000 });
    const [onSecond, onFourth, onFifth] = records as [SQSRecord, SQSRecord, SQSRecord];
    // Only the message on its 2nd receive is handed back (visible at once); the other two are handled.
    expect(short.batchItemFailures).toEqual([{ itemIdentifier: onSecond.messageId }]);
    await deleteHandled(batch, short);

    const back = await receive(queue().url, 180, 3);
    const byBody = new Map(back.map((m) => [m.Body as string, m]));
    expect(back).toHaveLength(3);
    expect(byBody.get(second.body)).toMatchObject({ MessageId: onSecond.messageId, Attributes: expect.objectContaining({ ApproximateReceiveCount: '3' }) });
    for (const [message, record] of [[fourth, onFourth], [fifth, onFifth]] as const) {
      const again = byBody.get(message.body);
      expect(again?.MessageId).not.toBe(record.messageId);
      expect(again?.Attributes?.ApproximateReceiveCount).toBe('1');
    }
    const dead = await deadLetters();
    expect(dead.has(fourth.body) || dead.has(fifth.body)).toBe(false);

    // With time enough they are stored, and each packet counted once, whatever was tried before.
    const retry = back.map(asRecord);
    const stored = await direct(handler)(sqsEvent(retry));
    expect(stored.batchItemFailures).toEqual([]);
    await deleteHandled(retry, stored);
    const all = [...filler, second, fourth, fifth];
    expect(added(before, await storedCounts())).toEqual(expectedCounts(all));
    // The old message, had SQS delivered it once more, would add nothing: same ingest id.
    expect((await direct(handler)(sqsEvent([sqsRecord(fifth.body, 6)]))).batchItemFailures).toEqual([]);
    expect(added(before, await storedCounts())).toEqual(expectedCounts(all));
  });

  it('are not dead-lettered for their receives, while a poison message is at once and one failing on its last receive is with its reason', async () => {
    const [poison, failingLast, failingEarly, untriedThird, untriedLast] = messages(5, 200) as [PackedMessage, PackedMessage, PackedMessage, PackedMessage, PackedMessage];
    const records = {
      poison: await receivedTimes(poison.body, 1),
      failingLast: await receivedTimes(failingLast.body, 5),
      failingEarly: await receivedTimes(failingEarly.body, 4),
      untriedThird: await receivedTimes(untriedThird.body, 3),
      untriedLast: await receivedTimes(untriedLast.body, 5),
    };
    const throttled = Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ProvisionedThroughputExceededException' });
    const failures = await settleFailures(
      [
        { record: records.poison, error: new PoisonMessageError('record 0 is not a packet') },
        { record: records.failingLast, error: throttled },
        { record: records.failingEarly, error: throttled },
        { record: records.untriedThird, error: new TimeBudgetError('no time left') },
        { record: records.untriedLast, error: new TimeBudgetError('no time left') },
      ],
      { ...packetsConfig().deadLetters, writer: 'packets' },
    );
    expect(failures.map((f) => f.itemIdentifier).sort()).toEqual([records.failingEarly.messageId, records.untriedThird.messageId].sort());
    await deleteHandled(Object.values(records), { batchItemFailures: failures });

    const dead = await deadLetters();
    expect(dead.get(poison.body)?.MessageAttributes?.reason?.StringValue).toMatch(/^PoisonMessageError: record 0 is not a packet/);
    expect(dead.get(failingLast.body)?.MessageAttributes).toMatchObject({
      reason: { StringValue: expect.stringMatching(/^ProvisionedThroughputExceededException/) },
      receiveCount: { StringValue: '5' },
      sourceQueue: { StringValue: queue().arn },
    });
    expect([...dead.keys()].filter((body) => [failingEarly.body, untriedThird.body, untriedLast.body].includes(body))).toEqual([]);

    // Visible now: the message on its 3rd receive (handed back at once) and the new copy of the last.
    const visible = await receive(queue().url, 180, 2);
    expect(visible.map((m) => [m.Body, m.Attributes?.ApproximateReceiveCount]).sort()).toEqual(
      [
        [untriedThird.body, '4'],
        [untriedLast.body, '1'],
      ].sort(),
    );
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queue().url, Entries: visible.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }));
  });

  it('go to the DLQ with their reason once their records were received longer ago than the queue keeps a message, not round their queue again', async () => {
    const receivedAt = 1_780_000_000_000;
    const [young, old] = [0, 1].map((i) => packRecords('packets', [samples[(300 + i) % samples.length] as Packet], { receivedAt })[0] as PackedMessage) as [PackedMessage, PackedMessage];
    const retention = SOURCE_QUEUE_RETENTION_SECONDS * 1000;
    const records = { young: await receivedTimes(young.body, 4), old: await receivedTimes(old.body, 4) };
    const settle = (record: SQSRecord, now: number) => settleFailures([{ record, error: new TimeBudgetError('no time left') }], { ...packetsConfig().deadLetters, writer: 'packets' }, now);
    // A minute short of the queue's retention the copy still goes back; a minute past it, to the DLQ.
    expect(await settle(records.young, receivedAt + retention - 60_000)).toEqual([]);
    expect(await settle(records.old, receivedAt + retention + 60_000)).toEqual([]);
    await deleteHandled(Object.values(records), { batchItemFailures: [] });

    const dead = await deadLetters();
    expect(dead.has(young.body)).toBe(false);
    expect(dead.get(old.body)?.MessageAttributes).toMatchObject({
      reason: { StringValue: `TimeBudgetError: not tried within the 4 days its queue keeps a message (received ${new Date(receivedAt).toISOString()}): no time left` },
      receiveCount: { StringValue: '4' },
    });
    const visible = await receive(queue().url, 180);
    expect(visible.map((m) => [m.Body, m.Attributes?.ApproximateReceiveCount])).toEqual([[young.body, '1']]);
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queue().url, Entries: visible.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }));
  });
});
