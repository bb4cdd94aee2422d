import { readFileSync, readdirSync } from 'node:fs';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { packRecords } from '../../functions/shared/message-packing.ts';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import type { FaultRates } from '../../infra/local/fault-proxy.ts';
import { redriveQueue } from '../../infra/local/redrive-queue.ts';
import { layersOf } from '../../functions/packets/storage.ts';
import { PROTOCOLS } from '../../functions/packets/protocols.ts';
import type { Packet } from '../../functions/packets/packet-schema.ts';
import { TEST_API_KEY, eventually, startTestRuntime } from '../helpers/runtime.ts';

// `npm test` runs a small setting; `npm run test:faults` a large one (see vitest.faults.config.ts).
const PACKETS = Number(process.env.FAULT_PACKETS ?? 600);
const CLIENTS = Number(process.env.FAULT_CLIENTS ?? 3);
const PER_REQUEST = 50;
const RATES: FaultRates = {
  throttle: Number(process.env.FAULT_THROTTLE ?? 0.05),
  serverError: Number(process.env.FAULT_SERVER_ERROR ?? 0.03),
  resetBefore: Number(process.env.FAULT_RESET_BEFORE ?? 0.02),
  resetAfter: Number(process.env.FAULT_RESET_AFTER ?? 0.02),
  latencyMs: Number(process.env.FAULT_LATENCY_MS ?? 2),
};
const CRASH_RATE = Number(process.env.FAULT_CRASH_RATE ?? 0.15);

const samples = readdirSync('events/packets').map((f) => JSON.parse(readFileSync(`events/packets/${f}`, 'utf8')) as Packet);
let runtime: LocalRuntime;
// The test's own view of the world bypasses the faults.
const endpoints = inject('endpoints');
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const sqs = new SQSClient({ endpoint: endpoints.sqs, region: 'us-east-1', credentials });
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: endpoints.dynamodb, region: 'us-east-1', credentials }));

beforeAll(async () => {
  runtime = await startTestRuntime({
    faults: { dynamodb: RATES, sqs: RATES, crashRate: CRASH_RATE },
    // Short, so that failed and crashed batches come back quickly.
    overrides: { visibilityTimeout: 2 },
  });
});
afterAll(async () => {
  await runtime?.stop();
  sqs.destroy();
  documents.destroy();
});

/** A client that retries with the same Idempotency-Key until its request is accepted. */
async function postUntilAccepted(body: Packet[], key: string): Promise<{ attempts: number }> {
  for (let attempt = 1; attempt <= 60; attempt++) {
    try {
      const response = await fetch(`${runtime.url}/packets`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': TEST_API_KEY, 'idempotency-key': key },
        body: JSON.stringify(body),
      });
      if (response.status === 202) return { attempts: attempt };
      expect(response.status, await response.text()).toBeGreaterThanOrEqual(500);
    } catch {
      // a dropped connection: retry like any client would
    }
    await new Promise((r) => setTimeout(r, 20 * attempt));
  }
  throw new Error(`request ${key} was never accepted`);
}

/** A queue's URL on the emulator itself, not through the fault proxy. */
function directUrl(logicalId: string): string {
  const url = runtime.resources.queues.get(logicalId)?.url as string;
  return new URL(new URL(url).pathname, endpoints.sqs).href;
}

async function storedPacketIds(): Promise<{ distinct: number; items: number }> {
  const table = runtime.resources.tables.get('PacketsTable')?.name as string;
  const ids = new Set<string>();
  let items = 0;
  for (const protocol of PROTOCOLS) {
    for (let shard = 0; shard < 4; shard++) {
      let start: Record<string, unknown> | undefined;
      do {
        const page = await documents.send(
          new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `${protocol}#${shard}` }, ExclusiveStartKey: start }),
        );
        for (const item of page.Items ?? []) {
          ids.add(`${item.packet_id}/${protocol}`);
          items++;
        }
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
    }
  }
  return { distinct: ids.size, items };
}

async function counts(): Promise<Record<string, number>> {
  const response = await fetch(`${runtime.url}/packets/tables/all`, { headers: { 'x-api-key': TEST_API_KEY } });
  if (response.status !== 200) return {};
  return (await response.json()) as Record<string, number>;
}

/** Every message in the DLQ, each received once (hidden for a while, then visible again). */
async function peekDeadLetters(): Promise<Message[]> {
  const found = new Map<string, Message>();
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: directUrl('PacketsDLQ'), MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], VisibilityTimeout: 5 }),
    );
    if (Messages.length === 0 || found.size > 10_000) return [...found.values()];
    for (const m of Messages) found.set(m.MessageId as string, m);
  }
}

async function deadLetters(): Promise<{ reason: string; ingestId: string }[]> {
  return (await peekDeadLetters()).map((m) => ({
    ingestId: String(JSON.parse(m.Body ?? '{}').ingestId),
    reason: m.MessageAttributes?.reason?.StringValue ?? 'moved by the redrive policy after maxReceiveCount receives (no reason recorded: its consumer crashed or outlived the visibility timeout)',
  }));
}

async function inFlight(queue: string): Promise<number> {
  const url = directUrl(queue);
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible);
}

describe('the packets pipeline under injected faults', () => {
  it('stores every accepted packet exactly once: none lost, none doubled', async () => {
    const packets = Array.from({ length: PACKETS }, (_, i) => {
      const p = structuredClone(samples[i % samples.length]) as Packet;
      p.Info = { ...(p.Info ?? {}), Sniffed_Timestamp: 1_800_000_000 + i };
      return p;
    });
    const expected: Record<string, number> = {};
    for (const p of packets) for (const layer of layersOf(p)) expected[layer] = (expected[layer] ?? 0) + 1;
    const expectedItems = Object.values(expected).reduce((a, b) => a + b, 0);

    // Concurrent clients, each with its share of the requests.
    const requests = Array.from({ length: Math.ceil(PACKETS / PER_REQUEST) }, (_, i) => packets.slice(i * PER_REQUEST, (i + 1) * PER_REQUEST));
    let attempts = 0;
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, client) => {
        for (let i = client; i < requests.length; i += CLIENTS) {
          const result = await postUntilAccepted(requests[i] as Packet[], `fault-run-${i}`);
          attempts += result.attempts;
        }
      }),
    );

    // Let the faulty pipeline drain: nothing left in the queue.
    await eventually(async () => ((await inFlight('PacketsQueue')) === 0 ? true : undefined), 240_000, 'the packets queue to drain');
    const beforeRedrive = await counts();
    for (const [protocol, n] of Object.entries(beforeRedrive)) expect(n, `${protocol} counted more than sent`).toBeLessThanOrEqual(expected[protocol] ?? 0);

    // What could not be stored waits in the DLQ with its reason; heal, redrive, and it lands once.
    const dlq = await deadLetters();
    runtime.faultProxies.dynamodb?.setRates({});
    runtime.faultProxies.sqs?.setRates({});
    await new Promise((r) => setTimeout(r, 5_100)); // the peeked DLQ messages become visible again
    const redriven = await redriveQueue(sqs, directUrl('PacketsDLQ'), directUrl('PacketsQueue'));
    await eventually(async () => {
      const now = await counts();
      return JSON.stringify(Object.entries(now).sort()) === JSON.stringify(Object.entries(expected).sort()) ? now : undefined;
    }, 120_000, 'exact counts after redrive');
    const stored = await storedPacketIds();

    const faults = { dynamodb: runtime.faultProxies.dynamodb?.counts, sqs: runtime.faultProxies.sqs?.counts };
    const reasons = new Map<string, number>();
    for (const { reason } of dlq) reasons.set(reason.slice(0, 120), (reasons.get(reason.slice(0, 120)) ?? 0) + 1);
    console.log(
      [
        `fault run: rates ${JSON.stringify(RATES)}, crash rate ${CRASH_RATE}, ${CLIENTS} clients`,
        `packets sent ${PACKETS} in ${requests.length} requests (${attempts} attempts), accepted ${PACKETS}`,
        `layer items expected ${expectedItems}, stored ${stored.items}, distinct ${stored.distinct}, duplicated ${stored.items - stored.distinct}, lost ${expectedItems - stored.distinct}`,
        `dead-lettered ${dlq.length}, redriven ${redriven}${[...reasons].map(([r, n]) => `\n  ${n} x ${r}`).join('')}`,
        `faults injected: ${JSON.stringify(faults)}`,
      ].join('\n'),
    );
    expect(stored.items - stored.distinct).toBe(0);
    expect(stored.distinct).toBe(expectedItems);
    expect(redriven).toBe(dlq.length);
    expect((faults.dynamodb?.throttle ?? 0) + (faults.dynamodb?.resetAfter ?? 0)).toBeGreaterThan(0);
    expect((faults.sqs?.throttle ?? 0) + (faults.sqs?.resetAfter ?? 0)).toBeGreaterThan(0);
  });

  it('answers 503 when the queue cannot be reached, and queues nothing', async () => {
    await eventually(async () => ((await inFlight('PacketsQueue')) === 0 ? true : undefined), 60_000, 'an idle queue');
    runtime.faultProxies.sqs?.setRates({ serverError: 1 });
    try {
      const response = await fetch(`${runtime.url}/packets`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': TEST_API_KEY },
        body: JSON.stringify(samples),
      });
      expect(response.status).toBe(503);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('service_unavailable');
      expect(await inFlight('PacketsQueue')).toBe(0);
    } finally {
      runtime.faultProxies.sqs?.setRates({});
    }
  });

  it('dead-letters what cannot be stored, with its reason, and stores it exactly once after redrive', async () => {
    // Whatever the previous run still had in flight finishes before the outage begins.
    await eventually(async () => ((await inFlight('PacketsQueue')) === 0 ? true : undefined), 60_000, 'an idle queue');
    const before = await counts();
    // DynamoDB down: every attempt fails until the last receive moves the messages to the DLQ.
    runtime.faultProxies.dynamodb?.setRates({ serverError: 1 });
    const body = [samples[0], samples[1]] as Packet[];
    await postUntilAccepted(body, 'outage-1');
    await postUntilAccepted(body, 'outage-2');
    await eventually(async () => ((await inFlight('PacketsQueue')) === 0 && (await inFlight('PacketsDLQ')) >= 2 ? true : undefined), 120_000, 'both messages in the DLQ');
    // Earlier chaos may have left other dead letters (already stored once): look for ours by ingest id.
    const ours = new Set(['outage-1', 'outage-2'].map((key) => packRecords('packets', body, { idempotencyKey: key })[0]?.ingestId));
    const dlq = (await deadLetters()).filter((m) => ours.has(m.ingestId));
    expect(dlq).toHaveLength(2);
    for (const { reason } of dlq) expect(reason).toMatch(/InternalServerError|injected/);

    runtime.faultProxies.dynamodb?.setRates({});
    await new Promise((r) => setTimeout(r, 5_100));
    // Redriven twice over (an operator's double click): still stored once.
    const Messages = (await peekDeadLetters()).filter((m) => ours.has(JSON.parse(m.Body ?? '{}').ingestId));
    await new Promise((r) => setTimeout(r, 5_100));
    expect(await redriveQueue(sqs, directUrl('PacketsDLQ'), directUrl('PacketsQueue'))).toBeGreaterThanOrEqual(2);
    for (const m of Messages) await sqs.send(new SendMessageCommand({ QueueUrl: directUrl('PacketsQueue'), MessageBody: m.Body }));

    const expected = { ...before };
    for (const p of [...body, ...body]) for (const layer of layersOf(p)) expected[layer] = (expected[layer] ?? 0) + 1;
    await eventually(async () => ((await inFlight('PacketsQueue')) === 0 ? true : undefined), 60_000, 'the queue to drain');
    await eventually(async () => {
      const now = await counts();
      return JSON.stringify(Object.entries(now).sort()) === JSON.stringify(Object.entries(expected).sort()) ? now : undefined;
    }, 30_000, 'counts including the redriven messages, once');
  });
});
