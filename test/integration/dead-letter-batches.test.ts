import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { readFileSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { MAX_REDRIVE_AGE_MS, redriveQueue } from '../../infra/local/redrive-queue.ts';
import { DEFAULT_MAX_MESSAGE_BYTES, packRecords } from '../../functions/shared/queue-envelope.ts';
import type { Packet } from '../../functions/packets/packet-schema.ts';
import { startTestRuntime } from '../helpers/runtime.ts';
import { direct, sqsEvent, sqsRecord } from '../helpers/sqs-events.ts';

// SendMessageBatch takes at most 1 MiB of bodies and attributes in one request (fauxqs holds
// to it, as SQS does): ten dead letters near 256 KiB each must go in several.

const samples = readdirSync('events/packets').map((f) => JSON.parse(readFileSync(`events/packets/${f}`, 'utf8')) as Packet);

let runtime: LocalRuntime;
let sqs: SQSClient;
let writer: (event: SQSEvent) => Promise<SQSBatchResponse>;

beforeAll(async () => {
  // Tables and queues only: the test delivers by hand.
  runtime = await startTestRuntime({ sqsEventSources: false });
  sqs = new SQSClient({});
  writer = direct((await import('../../functions/packets/writer.ts')).handler);
});
afterAll(async () => {
  sqs?.destroy();
  await runtime?.stop();
});

const dlqUrl = () => runtime.resources.queues.get('PacketsDLQ')?.url as string;
const queueUrl = () => runtime.resources.queues.get('PacketsQueue')?.url as string;

/** Every dead letter not read before, by body (read, they stay hidden for a minute). */
async function deadLetters(): Promise<Map<string, Message>> {
  const got = new Map<string, Message>();
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: dlqUrl(), MaxNumberOfMessages: 10, VisibilityTimeout: 60, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }),
    );
    if (Messages.length === 0) return got;
    for (const m of Messages) got.set(m.Body as string, m);
  }
}

/** A packets envelope of `bytes` bytes whose one record names no known layer: poison. */
function poisonOf(bytes: number, id: string): string {
  const head = `{"v":1,"kind":"packets","ingestId":"${id}","receivedAt":${Date.now()},"records":[{"Bogus":{"pad":"`;
  const tail = '"}}]}';
  return `${head}${'x'.repeat(bytes - head.length - tail.length)}${tail}`;
}

describe('dead-lettering copies', () => {
  it('moves two copies of one poison message in a batch (SQS delivers at least once) to the DLQ once, both handled', async () => {
    const body = poisonOf(2_000, 'poison-copies');
    const result = await writer(sqsEvent([sqsRecord(body), sqsRecord(body)]));
    expect(result.batchItemFailures).toEqual([]);
    const copies: Message[] = [];
    for (let empty = 0; empty < 2; ) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl(), MaxNumberOfMessages: 10, VisibilityTimeout: 60, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }));
      copies.push(...Messages.filter((m) => m.Body === body));
      empty = Messages.length === 0 ? empty + 1 : 0;
    }
    expect(copies).toHaveLength(1);
    expect(copies[0]?.MessageAttributes?.reason?.StringValue).toMatch(/^PoisonMessageError/);
  });
});

describe('dead-lettering a batch of large messages', () => {
  it('moves ten poison messages of about 256 KiB, one of them full, all to the DLQ with their reasons', async () => {
    const bodies = Array.from({ length: 10 }, (_, i) => poisonOf(i === 0 ? DEFAULT_MAX_MESSAGE_BYTES : 250_000 + i, `large-poison-${i}`));
    expect(Buffer.byteLength(bodies[0] as string)).toBe(DEFAULT_MAX_MESSAGE_BYTES);
    const result = await writer(sqsEvent(bodies.map((body) => sqsRecord(body))));
    expect(result.batchItemFailures).toEqual([]);
    const dead = await deadLetters();
    for (const body of bodies) {
      expect(dead.get(body)?.MessageAttributes?.reason?.StringValue).toMatch(/^PoisonMessageError: .*Bogus/);
      expect(dead.get(body)?.MessageAttributes?.receiveCount?.StringValue).toBe('1');
    }
  });

  it('moves ten full messages failing on their last receive all to the DLQ with their reason', async () => {
    // Consecutive full messages: all but the last of one packing are as full as packing makes them.
    const packets = Array.from({ length: 12_000 }, (_, i) => samples[i % samples.length] as Packet);
    const full = packRecords('packets', packets).slice(0, 10);
    expect(full).toHaveLength(10);
    expect(Math.min(...full.map((m) => Buffer.byteLength(m.body)))).toBeGreaterThan(250_000);
    const table = process.env.PACKETS_TABLE;
    process.env.PACKETS_TABLE = 'no-such-table';
    let result: SQSBatchResponse;
    try {
      result = await writer(sqsEvent(full.map((m) => sqsRecord(m.body, 5))));
    } finally {
      process.env.PACKETS_TABLE = table;
    }
    expect(result.batchItemFailures).toEqual([]);
    const dead = await deadLetters();
    for (const { body } of full) {
      expect(dead.get(body)?.MessageAttributes?.reason?.StringValue).toMatch(/ResourceNotFound/);
      expect(dead.get(body)?.MessageAttributes?.receiveCount?.StringValue).toBe('5');
    }
  });

  it('redrives ten full dead letters back to their queue (npm run redrive)', async () => {
    const bodies = Array.from({ length: 10 }, (_, i) => poisonOf(DEFAULT_MAX_MESSAGE_BYTES, `redriven-${i}`));
    for (const body of bodies) await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl(), MessageBody: body }));
    expect(await redriveQueue(sqs, dlqUrl(), queueUrl(), 10)).toEqual({ moved: 10, tooOld: 0 });
    const back = new Set<string>();
    for (let attempt = 0; attempt < 10 && back.size < bodies.length; attempt++) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl(), MaxNumberOfMessages: 10, VisibilityTimeout: 180, WaitTimeSeconds: 1 }));
      for (const m of Messages) back.add(m.Body as string);
    }
    expect(bodies.filter((body) => !back.has(body))).toEqual([]);
  });

  it('holds back dead letters received longer ago than their markers live, and redrives the rest', async () => {
    const held = async () => {
      const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl(), AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
      return Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible);
    };
    const now = Date.now();
    const [old, young] = [now - MAX_REDRIVE_AGE_MS - 60_000, now - MAX_REDRIVE_AGE_MS + 60_000].map((receivedAt) => packRecords('packets', samples.slice(0, 1), { receivedAt })[0]?.body as string);
    const before = await held();
    // More old ones than one receive takes: the redrive goes past them, and ends.
    for (const body of [...Array.from({ length: 12 }, () => old), young]) await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl(), MessageBody: body }));
    expect(await redriveQueue(sqs, dlqUrl(), queueUrl(), 100, now)).toEqual({ moved: 1, tooOld: 12 });
    const { Messages: back = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl(), MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    expect(back.map((m) => m.Body)).toEqual([young]);
    // The old ones stay in the DLQ, visible again for whoever looks.
    expect(await held()).toBe(before + 12);
    const { Messages: left = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl(), MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    expect(left.length).toBeGreaterThan(0);
    expect(left.every((m) => m.Body === old)).toBe(true);
  });
});
